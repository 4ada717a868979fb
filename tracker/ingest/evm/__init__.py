"""EVM JSON-RPC: the client, the node (heads, finality, block search), address checks, pure log decoding."""
