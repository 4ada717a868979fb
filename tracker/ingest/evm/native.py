"""The native scan of `eth_getLogs` bodies (`_logscan.c`): the token's layout packed for it, and its columns
read into polars.

The scan takes a body only when every log in it is a well-formed event of the layout within the request;
then it returns exactly the columns `decode.classify_logs` gives such a body, without building a string column
per JSON field first. Anything else (or a package built without a C compiler, or TRACKER_NATIVE_SCAN=0) gets
None, and the polars path reads the body and decides, with its exact error lines.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl

from tracker import compiled
from tracker.tokens import AMOUNT, FROM, SUCCESSOR, TO, WALLET, TokenLayout

if TYPE_CHECKING:
    from tracker.ingest.evm.decode import LogFilter

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


def scan(raw: bytes, log_filter: LogFilter) -> pl.DataFrame | None:
    """Validated event columns of an eth_getLogs body (block_number, block_hash, tx_hash, log_index, kind,
    from/to/wallet/successor_hex40, amount_raw), or None when the polars path is to read it."""
    if not enabled():
        return None
    capsules = _logscan.scan(raw, log_filter.token.encode(), log_filter.from_block, log_filter.to_block,
                             packed_layout(log_filter.layout))
    if capsules is None:
        return None
    return pl.DataFrame(compiled.ArrowArray(capsules))
