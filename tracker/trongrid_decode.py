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

from .decode import MAX_AMOUNT_RAW, supply_leg
from .errors import BadResponse, TrackerError
from .rpc import parse_json
from .tron_address import hex20_from_base58, normalize_tron_address

EVENT_NAMES = ("Transfer", "Issue", "Redeem", "DestroyedBlackFunds")
_HEX_SPELLING = re.compile(r"^(0x|0X|41)[0-9a-fA-F]{40}$")
SUPPLY_KIND = {"Issue": "issue", "Redeem": "redeem", "DestroyedBlackFunds": "destroyed_black_funds"}
# Named fields of each event's decoded `result`, with the positional keys TronGrid also sends.
_FIELDS = {
    "Transfer": (("from", "0"), ("to", "1"), ("value", "2")),
    "Issue": (("amount", "0"),),
    "Redeem": (("amount", "0"),),
    "DestroyedBlackFunds": (("_blackListedUser", "0"), ("_balance", "1")),
}


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
    event_name: str
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


def _field(result: Any, names: tuple[str, str]) -> Any:
    if not isinstance(result, dict):
        return None
    named, positional = names
    return result.get(named, result.get(positional))


def decode_events(records: list[dict[str, Any]], window: EventWindow) -> pl.DataFrame:
    """Rows of one event kind: checked, exact, addresses in base58. Raises on anything off."""
    fields = _FIELDS[window.event_name]
    columns: dict[str, list[Any]] = {
        "block_number": [], "block_ms": [], "tx_id": [], "log_index": [], "contract": [], "event_name": [],
        "address1": [], "address2": [], "amount_text": [],
    }
    for record in records:
        record = record if isinstance(record, dict) else {}
        result = record.get("result")
        columns["block_number"].append(record.get("block_number"))
        columns["block_ms"].append(record.get("block_timestamp"))
        columns["tx_id"].append(record.get("transaction_id"))
        columns["log_index"].append(record.get("event_index"))
        columns["contract"].append(_address_hex40(record.get("contract_address")))
        columns["event_name"].append(record.get("event_name"))
        addresses = [_field(result, f) for f in fields[:-1]]
        columns["address1"].append(_address_hex40(addresses[0]) if addresses else "")
        columns["address2"].append(_address_hex40(addresses[1]) if len(addresses) > 1 else "")
        columns["amount_text"].append(_field(result, fields[-1]))
    schema = {
        "block_number": pl.Int64, "block_ms": pl.Int64, "tx_id": pl.String, "log_index": pl.Int64,
        "contract": pl.String, "event_name": pl.String, "address1": pl.String, "address2": pl.String,
        "amount_text": pl.String,
    }
    try:
        frame = pl.DataFrame(columns, schema=schema, strict=False)
    except (TypeError, pl.exceptions.PolarsError) as error:
        raise BadResponse(f"TronGrid {window.event_name} events: fields of the wrong type") from error
    token_hex = hex20_from_base58(window.token)
    amount = pl.col("amount_text").str.to_integer(base=10, dtype=pl.UInt128, strict=False)
    problem = (
        pl.when(pl.col("contract").is_null() | (pl.col("contract") != token_hex))
        .then(pl.lit("event from another contract"))
        .when(pl.col("event_name") != window.event_name)
        .then(pl.lit("event of another name"))
        .when(pl.col("block_number").is_null() | pl.col("block_ms").is_null())
        .then(pl.lit("event without block number or timestamp"))
        .when((pl.col("block_number") < window.from_block) | (pl.col("block_number") > window.to_block))
        .then(pl.lit("event from a block outside the requested window"))
        .when(~pl.col("tx_id").str.to_lowercase().str.contains(r"^(0x)?[0-9a-f]{64}$").fill_null(False))
        .then(pl.lit("malformed transaction_id"))
        .when(pl.col("log_index").is_null() | (pl.col("log_index") < 0))
        .then(pl.lit("malformed event_index"))
        .when(pl.col("address1").is_null() | pl.col("address2").is_null())
        .then(pl.lit("malformed address"))
        .when(~pl.col("amount_text").str.contains(r"^[0-9]{1,38}$").fill_null(False) | (amount > MAX_AMOUNT_RAW))
        .then(pl.lit("amount is not a whole number below 10^38"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = frame.with_columns(problem=problem, amount_raw=amount)
    bad = frame.filter(pl.col("problem").is_not_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise BadResponse(
            f"TronGrid returned an invalid {window.event_name} event for blocks {window.from_block}-"
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
        kind=pl.lit(SUPPLY_KIND.get(window.event_name, "transfer")),
        from_hex40="address1",
        to_hex40="address2",
        amount_raw=pl.col("amount_raw").cast(pl.Decimal(38, 0)),
    )


def split_rows(events: pl.DataFrame, format_address: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(transfers, supply_events) in the shape the store writes, from decoded events of all kinds."""
    keys = ["chain", "token", "block_number", "block_time", "tx_hash", "log_index"]
    transfers = events.filter(pl.col("kind") == "transfer").select(
        *keys,
        from_address=format_address(pl.col("from_hex40")),
        to_address=format_address(pl.col("to_hex40")),
        amount_raw="amount_raw",
        supply_leg=supply_leg(pl.col("from_hex40"), pl.col("to_hex40")),
    )
    supply = events.filter(pl.col("kind") != "transfer").select(
        *keys,
        kind="kind",
        address=pl.when(pl.col("kind") == "destroyed_black_funds")
        .then(format_address(pl.col("from_hex40")))
        .otherwise(pl.lit(None, dtype=pl.String)),
        amount_raw="amount_raw",
    )
    return transfers, supply
