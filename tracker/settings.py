"""Defaults and the environment variables that override them."""

import os
from pathlib import Path

DEFAULT_DB_PATH = Path("data") / "tracker.duckdb"

# Mainnet USDT (Tether USD) and the block it was deployed in (tx 0x2f1c5c2b...).
ETHEREUM_USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
KNOWN_DEPLOY_BLOCKS = {("ethereum", ETHEREUM_USDT): 4_634_748}

# A keyless public endpoint; users with their own node set TRACKER_ETH_RPC.
DEFAULT_ETH_RPC = "https://ethereum-rpc.publicnode.com"

USDT_DECIMALS = 6

# USDT-TRC20 (Tether USD on Tron).
TRON_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# TronGrid's Ethereum-compatible JSON-RPC and its REST API; a key (TRONGRID_API_KEY) lifts the rate limit.
DEFAULT_TRON_RPC = "https://api.trongrid.io/jsonrpc"
DEFAULT_TRONGRID_URL = "https://api.trongrid.io"


def db_path(cli_value: str | None) -> Path:
    """`--db` wins over TRACKER_DB, which wins over data/tracker.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("TRACKER_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def eth_rpc_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get("TRACKER_ETH_RPC") or DEFAULT_ETH_RPC


def tron_rpc_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get("TRACKER_TRON_RPC") or DEFAULT_TRON_RPC


def trongrid_url(cli_value: str | None) -> str:
    return (cli_value or os.environ.get("TRACKER_TRONGRID_URL") or DEFAULT_TRONGRID_URL).rstrip("/")


def trongrid_headers() -> dict[str, str]:
    """TronGrid's API key header, when the user has a key."""
    key = os.environ.get("TRONGRID_API_KEY")
    return {"TRON-PRO-API-KEY": key} if key else {}
