"""What differs between the EVM-style chains the log pipeline reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracker.ingest.evm.addresses import normalize_eth_address
from tracker.ingest.evm.decode import ETHEREUM_FORMAT, ChainFormat
from tracker.ingest.tron.address import evm_hex, normalize_tron_address, tron_address


@dataclass(frozen=True)
class ChainSpec:
    name: str
    # token as stored -> the 0x + 40 hex address used in eth_getLogs filters and seen in logs
    log_address: Callable[[str], str]
    # user input (any accepted spelling) -> token as stored; raises TrackerError when invalid
    normalize_token: Callable[[str, str], str]
    format: ChainFormat
    # None: index up to the node's `finalized` block; K: up to head - K
    default_confirmations: int | None
    # whether a first sync may look for the token's deployment block (needs historical eth_getCode)
    finds_deployment: bool


ETHEREUM = ChainSpec(
    name="ethereum",
    log_address=lambda token: token,
    normalize_token=normalize_eth_address,
    format=ETHEREUM_FORMAT,
    default_confirmations=12,
    finds_deployment=True,
)

# Tron: addresses in base58check (T…); transaction ids as Tronscan shows them (64 hex digits, no 0x).
TRON = ChainSpec(
    name="tron",
    log_address=evm_hex,
    normalize_token=normalize_tron_address,
    format=ChainFormat(address=tron_address, tx_hash=lambda tx: tx.str.strip_prefix("0x")),
    default_confirmations=None,
    # java-tron answers eth_getCode for `latest` only, and USDT-TRC20's full history is billions of logs.
    finds_deployment=False,
)

CHAINS = {spec.name: spec for spec in (ETHEREUM, TRON)}
