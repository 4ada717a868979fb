"""What an `eth_getLogs` request asks for, and its answer read: validated events from the native scan, or raw
log columns from the polars path (`decode.parse_logs_response`) when the scan does not take the body.

Light on purpose: a sync imports this to ask for and count its first answers while polars is still loading;
polars comes in only for a body the scan leaves to the polars path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.ingest.evm import native
from tracker.tokens import TokenLayout

if TYPE_CHECKING:
    import polars as pl

    from tracker.ingest.evm.native import CheckedEvents


@dataclass(frozen=True)
class LogFilter:
    """What the request asked for; a node that answers anything else is lying."""

    chain: str
    token: str  # the contract as it appears in logs: 0x + 40 lower-case hex digits
    from_block: int
    to_block: int
    layout: TokenLayout  # the token's events: what a log may look like


def read_logs(raw: bytes | memoryview, log_filter: LogFilter) -> pl.DataFrame | CheckedEvents:
    """An eth_getLogs body as validated events when the native scan takes it, else as raw log columns."""
    events = native.scan(raw, log_filter)
    if events is not None:
        return events
    from tracker.ingest.evm.decode import parse_logs_response

    return parse_logs_response(raw)
