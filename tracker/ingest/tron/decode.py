"""Pure decoding of TronGrid REST answers (`/v1/contracts/{contract}/events`, wallet blocks).

TronGrid gives each event as an object with `block_number`, `block_timestamp`
(ms), `contract_address`, `event_name`, `event_index`, `transaction_id` and a
decoded `result` whose addresses may be 0x…, 41… or base58 and whose amounts are
decimal strings. Everything is checked and turned into the same rows the
JSON-RPC path writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from tracker.errors import BadResponse, TrackerError
from tracker.http import parse_json
from tracker.ingest.evm.decode import MAX_AMOUNT_RAW, split_events
from tracker.ingest.tron.address import hex20_from_base58, normalize_tron_address
from tracker.tokens import AMOUNT, FROM, SUCCESSOR, TO, WALLET, EventSpec, TokenLayout

_HEX_SPELLING = re.compile(r"^(0x|0X|41)[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class EventsPage:
    records: list[dict[str, Any]]
    fingerprint: str | None


@dataclass(frozen=True)
class TronBlock:
    number: int
    block_id: str  # 64 hex digits, as TronGrid spells it (starts with the block number)
    timestamp_ms: int


@dataclass(frozen=True)
class EventWindow:
    """What one events query asked for."""

    token: str  # base58
    event: EventSpec  # one event of the token's layout: its name and its fields' names
    from_block: int
    to_block: int


def parse_events_page(raw: bytes) -> EventsPage:
    body = parse_json(raw, "TronGrid events")
    if not isinstance(body, dict):
        raise BadResponse("TronGrid events: expected a JSON object")
    if body.get("success") is False or "Error" in body or "error" in body:
        message = body.get("Error") or body.get("error") or body.get("message") or "success=false"
        raise TrackerError(f"TronGrid events: {message}")
    records = body.get("data")
    if not isinstance(records, list):
        raise BadResponse("TronGrid events: response has no data list")
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    fingerprint = meta.get("fingerprint")
    return EventsPage(records, fingerprint if isinstance(fingerprint, str) and fingerprint else None)


def parse_block(raw: bytes, number: int | None = None) -> TronBlock:
    """A block from `/walletsolidity/getnowblock` or `/walletsolidity/getblockbynum`."""
    body = parse_json(raw, "TronGrid block")
    try:
        header = body["block_header"]["raw_data"]
        block = TronBlock(int(header.get("number", 0)), str(body["blockID"]).lower(), int(header["timestamp"]))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(body, dict) and not body:
            raise BadResponse(f"TronGrid has no solidified block {number}") from error
        raise BadResponse(f"TronGrid block{'' if number is None else f' {number}'}: malformed answer") from error
    if number is not None and block.number != number:
        raise BadResponse(f"asked TronGrid for block {number}, it answered block {block.number}")
    if len(block.block_id) != 64 or int(block.block_id[:16], 16) != block.number:
        raise BadResponse(f"TronGrid block {block.number}: blockID {block.block_id!r} does not carry its number")
    return block


@lru_cache(maxsize=1 << 20)
def _address_hex40(value: Any) -> str | None:
    """40 hex digits for a TronGrid address in any spelling, None when it is not one."""
    if not isinstance(value, str):
        return None
    if _HEX_SPELLING.match(value):  # 0x… or 41…: the 20 bytes are right there
        return value[-40:].lower()
    try:
        return hex20_from_base58(normalize_tron_address(value))
    except TrackerError:
        return None


_ADDRESS_COLUMNS = {FROM: "from_hex40", TO: "to_hex40", WALLET: "wallet_hex40", SUCCESSOR: "successor_hex40"}


def _field_keys(event: EventSpec, role: str) -> tuple[str, str] | None:
    """Where `result` holds the field with `role`: its declared name, and TronGrid's positional key."""
    name, positional = event.field_name(role), event.positional_key(role)
    return None if name is None or positional is None else (name, positional)


def decode_events(records: list[dict[str, Any]], window: EventWindow) -> pl.DataFrame:
    """Rows of one event kind: checked, exact, addresses as 40 hex digits. Raises on anything off."""
    event = window.event
    roles = [role for role in _ADDRESS_COLUMNS if role in event.address_roles]
    # (column, (name, positional key)) for each address the event names, looked up once per call
    address_keys = [(_ADDRESS_COLUMNS[role], _field_keys(event, role)) for role in roles]
    amount_keys = _field_keys(event, AMOUNT)  # None: the event carries no amount (Deprecate)
    columns: dict[str, list[Any]] = {
        "block_number": [], "block_ms": [], "tx_id": [], "log_index": [], "contract": [], "event_name": [],
        "amount_text": [], **{column: [] for column in _ADDRESS_COLUMNS.values()},
    }
    absent = [columns[column] for role, column in _ADDRESS_COLUMNS.items() if role not in roles]
    for record in records:
        record = record if isinstance(record, dict) else {}
        result = record.get("result")
        result = result if isinstance(result, dict) else {}
        columns["block_number"].append(record.get("block_number"))
        columns["block_ms"].append(record.get("block_timestamp"))
        columns["tx_id"].append(record.get("transaction_id"))
        columns["log_index"].append(record.get("event_index"))
        columns["contract"].append(_address_hex40(record.get("contract_address")))
        columns["event_name"].append(record.get("event_name"))
        for column, (named, positional) in address_keys:
            columns[column].append(_address_hex40(result.get(named, result.get(positional))))
        for values in absent:
            values.append(None)
        columns["amount_text"].append(
            None if amount_keys is None else result.get(amount_keys[0], result.get(amount_keys[1])))
    schema = {
        "block_number": pl.Int64, "block_ms": pl.Int64, "tx_id": pl.String, "log_index": pl.Int64,
        "contract": pl.String, "event_name": pl.String, "amount_text": pl.String,
        **{column: pl.String for column in _ADDRESS_COLUMNS.values()},
    }
    try:
        frame = pl.DataFrame(columns, schema=schema, strict=False)
    except (TypeError, pl.exceptions.PolarsError) as error:
        raise BadResponse(f"TronGrid {event.name} events: fields of the wrong type") from error
    token_hex = hex20_from_base58(window.token)
    amount = pl.col("amount_text").str.to_integer(base=10, dtype=pl.UInt128, strict=False)
    problem = (
        pl.when(pl.col("contract").is_null() | (pl.col("contract") != token_hex))
        .then(pl.lit("event from another contract"))
        .when(pl.col("event_name") != event.name)
        .then(pl.lit("event of another name"))
        .when(pl.col("block_number").is_null() | pl.col("block_ms").is_null())
        .then(pl.lit("event without block number or timestamp"))
        .when((pl.col("block_number") < window.from_block) | (pl.col("block_number") > window.to_block))
        .then(pl.lit("event from a block outside the requested window"))
        .when(~pl.col("tx_id").str.to_lowercase().str.contains(r"^(0x)?[0-9a-f]{64}$").fill_null(False))
        .then(pl.lit("malformed transaction_id"))
        .when(pl.col("log_index").is_null() | (pl.col("log_index") < 0))
        .then(pl.lit("malformed event_index"))
        .when(pl.any_horizontal([pl.col(_ADDRESS_COLUMNS[role]).is_null() for role in roles] or [pl.lit(False)]))
        .then(pl.lit("malformed address"))
        .when(pl.lit(amount_keys is not None)
              & (~pl.col("amount_text").str.contains(r"^[0-9]{1,38}$").fill_null(False) | (amount > MAX_AMOUNT_RAW)))
        .then(pl.lit("amount is not a whole number below 10^38"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = frame.with_columns(problem=problem, amount_raw=amount)
    bad = frame.filter(pl.col("problem").is_not_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise BadResponse(
            f"TronGrid returned an invalid {event.name} event for blocks {window.from_block}-"
            f"{window.to_block} ({bad.height} bad of {frame.height}): {first['problem']} "
            f"(block {first['block_number']}, tx {first['tx_id']}, index {first['log_index']})"
        )
    return frame.select(
        chain=pl.lit("tron"),
        token=pl.lit(window.token),
        block_number="block_number",
        block_time=(pl.col("block_ms") * 1000).cast(pl.Datetime("us", "UTC")),
        tx_hash=pl.col("tx_id").str.to_lowercase().str.strip_prefix("0x"),
        log_index="log_index",
        kind=pl.lit(event.kind),
        from_hex40="from_hex40",
        to_hex40="to_hex40",
        wallet_hex40="wallet_hex40",
        successor_hex40="successor_hex40",
        amount_raw=pl.col("amount_raw").cast(pl.Decimal(38, 0)),
    )


def split_rows(events: pl.DataFrame, layout: TokenLayout, format_address: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(transfers, supply_events) in the shape the store writes, from decoded events of all kinds."""
    keys = ["chain", "token", "block_number", "block_time", "tx_hash", "log_index"]
    return split_events(events, layout, format_address, keys)
