"""Tron: base58 addresses, the TronGrid REST events client and its pure decoder."""
