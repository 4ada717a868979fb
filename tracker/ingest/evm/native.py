"""The native scan of `eth_getLogs` bodies (`_logscan.c`): the token's layout packed for it, and its columns
read into polars when they are first asked for.

The scan takes a body only when every log in it is a well-formed event of the layout within the request;
then it returns exactly the columns `decode.classify_logs` gives such a body, without building a string column
per JSON field first. Anything else (or a package built without a C compiler, or TRACKER_NATIVE_SCAN=0) gets
None, and the polars path reads the body and decides, with its exact error lines.

Nothing here loads polars until the columns are read: a sync counts an answer's logs (which sizes its next
request) while polars is still being imported.
"""

from __future__ import annotations

import struct
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from tracker import compiled
from tracker.tokens import AMOUNT, FROM, SUCCESSOR, TO, WALLET, TokenLayout

if TYPE_CHECKING:
    import polars as pl

    from tracker.ingest.evm.logs import LogFilter

_logscan = compiled.load("tracker.ingest.evm._logscan")

SWITCH = "TRACKER_NATIVE_SCAN"  # "0": read every body with the polars path (to compare the two)
# Per event: topic0 (66 ASCII bytes), topic count, data words, the positions of from/to/amount/wallet/successor,
# the count and positions of address fields (whose words must start with 12 zero bytes), the kind (32 bytes).
_EVENT_RECORD = struct.Struct("<66sBB5BB4B32s")
_ROLES = (FROM, TO, AMOUNT, WALLET, SUCCESSOR)
_NO_FIELD = 255
_DATA_WORD = 16  # position of data word w: 16 + w; topic i: i


def available() -> bool:
    """Is the compiled scan installed?"""
    return _logscan is not None


def enabled() -> bool:
    return _logscan is not None and compiled.switched_on(SWITCH)


def _position(place: tuple[str, int] | None) -> int:
    if place is None:
        return _NO_FIELD
    kind, index = place
    return index if kind == "topic" else _DATA_WORD + index


@lru_cache(maxsize=32)
def packed_layout(layout: TokenLayout) -> bytes:
    records = []
    for event in layout.events:
        addresses = [_position(event.position(role)) for role in event.address_roles]
        records.append(_EVENT_RECORD.pack(
            event.topic0.encode(), event.topic_count, event.data_words,
            *(_position(event.position(role)) for role in _ROLES),
            len(addresses), *(addresses + [_NO_FIELD] * (4 - len(addresses))),
            event.kind.encode(),
        ))
    return b"".join(records)


class CheckedEvents:
    """An eth_getLogs answer the native scan took: its logs, already validated events, as the scan's Arrow
    columns (block_number, block_hash, tx_hash, log_index, kind, from/to/wallet/successor_hex40, amount_raw).
    `height` is known at once; `events` reads them into polars, once (Arrow hands its arrays over a single time)."""

    def __init__(self, columns: tuple[object, object], rows: int) -> None:
        self.height = rows
        self._columns: tuple[object, object] | None = columns
        self._events: pl.DataFrame | None = None
        self._lock = threading.Lock()

    @property
    def events(self) -> pl.DataFrame:
        with self._lock:
            if self._events is None:
                import polars as pl

                assert self._columns is not None
                self._events, self._columns = pl.DataFrame(compiled.ArrowArray(self._columns)), None
            return self._events


def scan(raw: bytes | memoryview, log_filter: LogFilter) -> CheckedEvents | None:
    """The body's validated events, or None when the polars path is to read it."""
    if not enabled():
        return None
    scanned = _logscan.scan(raw, log_filter.token.encode(), log_filter.from_block, log_filter.to_block,
                            packed_layout(log_filter.layout))
    return None if scanned is None else CheckedEvents(*scanned)
