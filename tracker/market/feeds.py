"""What a venue declares about its liquidation websocket (pure types; the machinery is in `market.stream`).

A venue module builds one `Feed`: where to connect, what to send to subscribe and to keep the connection
alive, and how to read one text frame into a `Reading`. Reading raises `BadResponse` for a malformed frame
(skipped and counted) and any other `TrackerError` for a refusal (the subscription is wrong: fatal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from tracker.errors import BadResponse
from tracker.market.rows import LiquidationRow


@dataclass(frozen=True)
class Reading:
    kind: str  # ack | pong | data | other
    rows: tuple[LiquidationRow, ...] = ()


ACK, PONG, OTHER = Reading("ack"), Reading("pong"), Reading("other")


@dataclass(frozen=True)
class Feed:
    venue: str
    streams: tuple[tuple[str, tuple[str, ...]], ...]  # (stream_coverage.stream, the symbols kept from it)
    url: str
    subscribe: tuple[str, ...]  # text frames sent after each connect
    read: Callable[[str], Reading]
    ping_text: str | None = None  # an application-level ping, sent every ping_every seconds
    ping_every: float = 20.0
    # What proves the stream delivers: the subscribe ack (and pongs), or only events. Binance acks a
    # subscription even on a path that will never deliver it, so there only an event counts.
    proof: str = "ack"


def json_frame(text: str | bytes, venue: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadResponse(f"{venue}: a frame that is not JSON: {str(text)[:80]!r}") from None


def data(rows: list[LiquidationRow], symbols: frozenset[str]) -> Reading:
    """An event frame: its liquidations of the chosen symbols (an event of another symbol still proves life)."""
    return Reading("data", tuple(row for row in rows if row.symbol in symbols))
