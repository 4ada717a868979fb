"""`tracker verify <chain>`: balanceOf and totalSupply at a block against what the index derives."""

from __future__ import annotations

from typing import Optional

import typer

from tracker import settings
from tracker.chains import chain_spec
from tracker.cli.common import anchors, app, output
from tracker.errors import TrackerError
from tracker.tokens import default_token, resolve_token


@app.command("verify")
def verify(
    ctx: typer.Context,
    chain: str = typer.Argument(..., help="ethereum, tron, arbitrum, bsc, or a chain tracker.toml declares."),
    rpc: Optional[str] = typer.Option(None, help="JSON-RPC URL (default: the chain's rpc_url setting, e.g. $TRACKER_ETH_RPC)."),
    token: Optional[str] = typer.Option(None, help="Token contract or symbol (default: USDT on that chain)."),
    block: Optional[int] = typer.Option(None, help="Block to check (default: the last synced block)."),
) -> None:
    """Compare balanceOf of every labeled exchange wallet and totalSupply() with what the index derives."""
    spec = chain_spec(chain)
    url = settings.rpc_url(spec, rpc)
    default = default_token(chain)
    # Any well-formed address: verify reads rows already stored (perhaps by an older version) and the node.
    address = resolve_token(chain, token or (default.address if default else ""), spec.normalize_token,
                            declared_only=False)
    at, checks = anchors.verify(ctx.obj["db"], spec, url, address, block)
    print(output.render(anchors.checks_result(checks), "table"), end="")
    wrong = [c for c in checks if c.difference != 0]
    if wrong:
        raise TrackerError(f"{len(wrong)} of {len(checks)} figures differ from the node at block {at:,}")
    print(f"all {len(checks)} figures match the node at block {at:,}")
