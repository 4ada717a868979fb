"""Pure decoding of raw `eth_getLogs` answers into table rows.

No IO here: bytes or frames in, frames out, so every rule is tested on its own.
Decoding is vectorized with polars over the columns of the whole response;
nothing loops over logs in Python. `classify_logs` is the single check of what
an event of the token's declared layout (`tokens.py`) looks like.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
import polars.selectors as cs

from tracker.chains import ETHEREUM_FORMAT, ChainFormat
from tracker.errors import BadResponse, TrackerError
from tracker.http import TruncatedBody
from tracker.ingest.evm.native import CheckedEvents
from tracker.ingest.evm.rpc import rpc_error
from tracker.tokens import (
    AMOUNT,
    FROM,
    SUCCESSOR,
    SUPPLY_KINDS,
    TO,
    WALLET,
    EventSpec,
    TokenLayout,
)

if TYPE_CHECKING:
    from tracker.ingest.evm.logs import LogFilter

# Largest raw amount that fits DECIMAL(38,0) (and, scaled by 10^-6, DECIMAL(38,6)).
MAX_AMOUNT_RAW = 10**38 - 1

_LOG_STRUCT = pl.Struct(
    {
        "address": pl.String,
        "blockNumber": pl.String,
        "blockHash": pl.String,
        "transactionHash": pl.String,
        "logIndex": pl.String,
        "data": pl.String,
        "topics": pl.List(pl.String),
        "removed": pl.Boolean,
    }
)
_RESPONSE_SCHEMA = {
    "result": pl.List(_LOG_STRUCT),
    "error": pl.Struct({"code": pl.Int64, "message": pl.String}),
}
_HEX32 = r"^0x[0-9a-f]{64}$"
_QUANTITY = r"^0x(0|[1-9a-f][0-9a-f]*)$"
_ZERO_PAD = "0" * 24  # the 12 zero bytes in front of a 20-byte address in a 32-byte word

ZERO_HEX40 = "0" * 40


@dataclass(frozen=True)
class DecodedLogs:
    transfers: pl.DataFrame  # chain, token, block_number, tx_hash, log_index, from/to_address, amount_raw
    supply_events: pl.DataFrame  # chain, token, block_number, tx_hash, log_index, kind, address, amount_raw
    block_hashes: pl.DataFrame  # block_number, block_hash: one row per block holding a log

    @property
    def log_count(self) -> int:
        return self.transfers.height + self.supply_events.height


def _empty_logs() -> pl.DataFrame:
    return pl.DataFrame(schema=dict(_LOG_STRUCT.to_schema()))


def parse_logs_response(raw: bytes) -> pl.DataFrame:
    """Raw log columns from an `eth_getLogs` response body (an error envelope raises).

    polars reads the whole envelope into columns in native code on one thread, no Python object per
    log. (Splitting the array into NDJSON lines for a parallel read cost more than it saved: the copy,
    and threads competing with the node and the writer for the same cores.)
    """
    try:
        envelope = pl.read_json(io.BytesIO(raw), schema=_RESPONSE_SCHEMA)
    except Exception as error:  # polars raises several types for malformed JSON
        raise TruncatedBody(f"eth_getLogs: response is not complete JSON ({len(raw)} bytes)") from error
    if envelope.height != 1:
        raise BadResponse("eth_getLogs: expected one JSON-RPC response object")
    error = envelope["error"][0]
    if error is not None and any(value is not None for value in error.values()):
        raise rpc_error(error, "eth_getLogs")
    result = envelope["result"][0]
    if result is None:
        raise BadResponse("eth_getLogs: JSON-RPC response has neither result nor error")
    if len(result) == 0:
        return _empty_logs()
    return envelope.select(pl.col("result").explode()).unnest("result")


def _word(data: pl.Expr, index: int) -> pl.Expr:
    """The index-th 32-byte word of a 0x-prefixed hex data field, as 64 hex digits."""
    return data.str.slice(2 + 64 * index, 64)


def _amount_raw(word: pl.Expr) -> pl.Expr:
    # uint256 fits DECIMAL(38,0) only below 10^38 < 2^127: the top 16 bytes must be zero.
    return word.str.slice(32, 32).str.to_integer(base=16, dtype=pl.UInt128, strict=False)


def _field_word(event: EventSpec, role: str, data: pl.Expr) -> pl.Expr | None:
    """64 hex digits of the field with `role`, read where the event's declaration puts it (topics are the
    `_topic<i>` columns `classify_logs` adds)."""
    position = event.position(role)
    if position is None:
        return None
    place, index = position
    if place == "topic":
        return pl.col(f"_topic{index}").str.slice(2)
    return _word(data, index)


def _by_event(layout: TokenLayout, topic0: pl.Expr, value: Callable[[EventSpec], pl.Expr | None],
              dtype: pl.DataType = pl.String) -> pl.Expr:
    """`value(event)` for the event each log's topic0 names; null where that event has none."""
    chain: Any = pl
    for event in layout.events:
        expr = value(event)
        if expr is not None:
            chain = chain.when(topic0 == event.topic0).then(expr)
    if chain is pl:
        return pl.lit(None, dtype=dtype)
    return chain.otherwise(pl.lit(None, dtype=dtype))


def classify_logs(raw_logs: pl.DataFrame, log_filter: LogFilter) -> pl.DataFrame:
    """Add `kind` and `problem` (null when the log is a well-formed event of the token's layout within the request).

    Each event's shape (topic count, data words, which of them hold addresses) comes from the
    token's declared layout: a log with another shape is refused, not guessed at.

    Hashes, topics, data and quantities are lower-case hex in the JSON-RPC specification (ethereum/execution-apis,
    base-types: bytes, hash32, uint); only an address may carry capitals (an EIP-55 checksum). The logs are
    checked as they came, against lower-case patterns; only when a log fails are the hex fields lower-cased
    and all of them checked again, so a node that writes capitals is still read (and stored lower-case)
    without every answer paying for a lower-cased copy of every field.
    """
    classified = _classify(raw_logs, log_filter)
    if classified["problem"].is_not_null().any():
        classified = _classify(_lower_hex(raw_logs), log_filter)
    return classified


def _lower_hex(raw_logs: pl.DataFrame) -> pl.DataFrame:
    return raw_logs.with_columns(
        pl.col("blockNumber", "blockHash", "transactionHash", "logIndex", "data").str.to_lowercase(),
        pl.col("topics").list.eval(pl.element().str.to_lowercase()),
    )


def _classify(raw_logs: pl.DataFrame, log_filter: LogFilter) -> pl.DataFrame:
    layout = log_filter.layout
    most_topics = max(event.topic_count for event in layout.events)
    topics = pl.col("topics")
    # Pass 1: each topic pulled out of its list once, and every check that does not depend on the event.
    checked = raw_logs.with_columns(
        [topics.list.get(index, null_on_oob=True).alias(f"_topic{index}") for index in range(most_topics)],
        _topic_count=topics.list.len(),
        _data_len=pl.col("data").str.len_bytes(),
        _data_hex=pl.col("data").str.contains(r"^0x(?:[0-9a-f]{64})*$").fill_null(False),
        _block_ok=pl.col("blockNumber").str.contains(_QUANTITY).fill_null(False),
        _block_hash_ok=pl.col("blockHash").str.contains(_HEX32).fill_null(False),
        _tx_hash_ok=pl.col("transactionHash").str.contains(_HEX32).fill_null(False),
        _log_index_ok=pl.col("logIndex").str.contains(_QUANTITY).fill_null(False),
        _other_contract=(pl.col("address").str.to_lowercase() != log_filter.token).fill_null(True),
    ).with_columns(
        [pl.col(f"_topic{index}").str.contains(_HEX32).fill_null(False).alias(f"_topic{index}_ok")
         for index in range(1, most_topics)]
    )
    topic0 = pl.col("_topic0")
    data = pl.col("data")
    block_number = pl.col("blockNumber").str.slice(2).str.to_integer(base=16, strict=False)

    def shape(event: EventSpec) -> pl.Expr:
        ok = (pl.col("_topic_count") == event.topic_count) & (pl.col("_data_len") == 2 + 64 * event.data_words)
        for index in range(1, event.topic_count):
            ok = ok & pl.col(f"_topic{index}_ok")
        for role in event.address_roles:  # an address is 20 bytes: the word's first 12 must be zero
            ok = ok & _field_word(event, role, data).str.starts_with(_ZERO_PAD)
        return ok

    kinds = {event.topic0: event.kind for event in layout.events}
    kind = topic0.replace_strict(kinds, default=None, return_dtype=pl.String)
    amount_word = _by_event(layout, topic0, lambda event: _field_word(event, AMOUNT, data))
    amount_high_zero = amount_word.str.slice(0, 32) == "0" * 32
    shape_ok = _by_event(layout, topic0, shape, pl.Boolean)
    declared = {
        event.topic0: f"{event.name} as {layout.name} declares it ({event.topic_count} topics, "
                      f"{event.data_words} data word{'s' if event.data_words != 1 else ''})"
        for event in layout.events
    }
    names = "/".join(event.name for event in layout.events)
    problem = (
        pl.when(pl.col("removed").fill_null(False))
        .then(pl.lit("log is marked removed (reorged out)"))
        .when(pl.col("_other_contract"))
        .then(pl.lit("log from another contract ") + pl.col("address").fill_null("(none)"))
        .when(~pl.col("_block_ok"))
        .then(pl.lit("malformed blockNumber"))
        .when((block_number < log_filter.from_block) | (block_number > log_filter.to_block))
        .then(pl.lit("log from block outside the requested range"))
        .when(~pl.col("_block_hash_ok"))
        .then(pl.lit("malformed blockHash"))
        .when(~pl.col("_tx_hash_ok"))
        .then(pl.lit("malformed transactionHash"))
        .when(~pl.col("_log_index_ok"))
        .then(pl.lit("malformed logIndex"))
        .when(kind.is_null())
        .then(pl.lit(f"event that is not {names}"))
        .when(~pl.col("_data_hex") | ~shape_ok.fill_null(False))
        .then(pl.lit("event fields do not match ") + topic0.replace_strict(declared, default="", return_dtype=pl.String))
        .when(~amount_high_zero)
        .then(pl.lit("amount does not fit DECIMAL(38,0)"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    classified = checked.with_columns(
        kind=kind,
        problem=problem,
        block_number=block_number,
        block_hash=pl.col("blockHash"),
        tx_hash=pl.col("transactionHash"),
        log_index=pl.col("logIndex").str.slice(2).str.to_integer(base=16, strict=False),
        amount_raw_u128=_amount_raw(amount_word),
        # 40 hex digits of each address the event names (null where it names none)
        from_hex40=_by_event(layout, topic0, lambda event: _field_word(event, FROM, data)).str.slice(24),
        to_hex40=_by_event(layout, topic0, lambda event: _field_word(event, TO, data)).str.slice(24),
        wallet_hex40=_by_event(layout, topic0, lambda event: _field_word(event, WALLET, data)).str.slice(24),
        successor_hex40=_by_event(layout, topic0, lambda event: _field_word(event, SUCCESSOR, data)).str.slice(24),
    )
    return classified.drop(cs.starts_with("_"))


def _raise_first_problem(classified: pl.DataFrame, log_filter: LogFilter) -> None:
    bad = classified.filter(pl.col("problem").is_not_null())
    if bad.height == 0:
        return
    first = bad.row(0, named=True)
    raise BadResponse(
        f"node returned an invalid log for {log_filter.chain} blocks "
        f"{log_filter.from_block}-{log_filter.to_block} ({bad.height} bad of {classified.height}): "
        f"{first['problem']} (block {first['blockNumber']}, tx {first['transactionHash']}, "
        f"log {first['logIndex']})"
    )


def refuse_deprecation(events: pl.DataFrame, chain: str, token_hex40: str,
                       address: Callable[[pl.Expr], pl.Expr]) -> None:
    """Stop at a Deprecate event: the token's Transfers continue in its successor contract, not here.

    `events` has `kind`, `block_number` and `successor_hex40`; `address` spells an address as the chain stores it.
    """
    deprecated = events.filter(pl.col("kind") == "deprecate").sort("block_number")
    if deprecated.height == 0:
        return
    first = deprecated.select(
        "block_number", token=address(pl.lit(token_hex40)), successor=address(pl.col("successor_hex40"))
    ).row(0, named=True)
    raise TrackerError(
        f"{chain} token {first['token']} was deprecated in block {first['block_number']:,}: Tether moved it to "
        f"{first['successor']}, which emits its transfers from then on; nothing from that step was written. "
        f"Sync this token with --to-block {first['block_number'] - 1} and the new one with --token {first['successor']}"
    )


def supply_leg(from_hex40: pl.Expr, to_hex40: pl.Expr, tx_hash: pl.Expr, supply: pl.DataFrame,
               layout: TokenLayout) -> pl.Expr:
    """'mint' / 'burn' for the zero-address Transfer leg of an Issue / Redeem, else null.

    Only layouts that declare such legs have them (Tron's USDT, FiatToken), and a leg is the Transfer
    from (to) the zero address in a transaction holding an Issue (Redeem): supply is counted
    once, from the supply events, and the legs stay out of exchange flows. A user's own
    Transfer to the zero address is an ordinary transfer.
    """
    if not layout.supply_transfer_legs:
        return pl.lit(None, dtype=pl.String)
    if layout.supply_from_legs:  # no supply event to pair with: every zero-address leg is the mint or burn
        return (pl.when(from_hex40 == ZERO_HEX40).then(pl.lit("mint"))
                .when(to_hex40 == ZERO_HEX40).then(pl.lit("burn"))
                .otherwise(pl.lit(None, dtype=pl.String)))
    issued = supply.filter(pl.col("kind") == "issue")["tx_hash"].unique().implode()
    redeemed = supply.filter(pl.col("kind") == "redeem")["tx_hash"].unique().implode()
    return (
        pl.when((from_hex40 == ZERO_HEX40) & tx_hash.is_in(issued))
        .then(pl.lit("mint"))
        .when((to_hex40 == ZERO_HEX40) & tx_hash.is_in(redeemed))
        .then(pl.lit("burn"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _supply_from_legs(events: pl.DataFrame) -> pl.DataFrame:
    """A Transfer-only token's issues and redeems: one per zero-address Transfer leg, keyed like the leg
    (same block, transaction and log index; a row of supply_events, not of transfers)."""
    legs = events.filter((pl.col("kind") == "transfer")
                         & ((pl.col("from_hex40") == ZERO_HEX40) | (pl.col("to_hex40") == ZERO_HEX40)))
    minted = pl.col("from_hex40") == ZERO_HEX40
    return legs.with_columns(
        kind=pl.when(minted).then(pl.lit("issue")).otherwise(pl.lit("redeem")),
        wallet_hex40=pl.when(minted).then(pl.col("to_hex40")).otherwise(pl.col("from_hex40")),
    )


def split_events(events: pl.DataFrame, layout: TokenLayout, address: Callable[[pl.Expr], pl.Expr],
                 keys: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(transfers, supply_events) rows from decoded events with `kind`, `from_hex40`, `to_hex40`,
    `wallet_hex40` and `amount_raw`: one function for the JSON-RPC and TronGrid paths."""
    if layout.supply_from_legs:
        events = pl.concat([events, _supply_from_legs(events)], how="diagonal_relaxed")
    supply_events = events.filter(pl.col("kind").is_in(SUPPLY_KINDS)).select(
        *keys,
        kind="kind",
        # USDT's Issue/Redeem carry no address; DestroyedBlackFunds names the blacklisted wallet, FiatToken's
        # Mint the wallet credited and Burn the burner.
        address=pl.when(pl.col("wallet_hex40").is_not_null())
        .then(address(pl.col("wallet_hex40")))
        .otherwise(pl.lit(None, dtype=pl.String)),
        amount_raw="amount_raw",
    )
    transfers = events.filter(pl.col("kind") == "transfer").select(
        *keys,
        from_address=address(pl.col("from_hex40")),
        to_address=address(pl.col("to_hex40")),
        amount_raw="amount_raw",
        supply_leg=supply_leg(pl.col("from_hex40"), pl.col("to_hex40"), pl.col("tx_hash"), supply_events, layout),
    )
    return transfers, supply_events


def decode_logs(raw_logs: pl.DataFrame, log_filter: LogFilter, chain_format: ChainFormat = ETHEREUM_FORMAT) -> DecodedLogs:
    """Validate every log and split them into transfer rows, supply-event rows and block hashes."""
    classified = classify_logs(raw_logs, log_filter)
    _raise_first_problem(classified, log_filter)
    refuse_deprecation(classified, log_filter.chain, log_filter.token[2:], chain_format.address)
    too_large = classified.filter(pl.col("amount_raw_u128") > MAX_AMOUNT_RAW)
    if too_large.height:
        _raise_first_problem(
            too_large.with_columns(problem=pl.lit("amount does not fit DECIMAL(38,0)")), log_filter
        )
    return _split(classified.with_columns(amount_raw=pl.col("amount_raw_u128").cast(pl.Decimal(38, 0))),
                  log_filter, chain_format)


def decode_answer(answer: pl.DataFrame | CheckedEvents, log_filter: LogFilter,
                  chain_format: ChainFormat = ETHEREUM_FORMAT) -> DecodedLogs:
    """`decode_logs` for either form `read_logs` returns."""
    if isinstance(answer, CheckedEvents):
        refuse_deprecation(answer.events, log_filter.chain, log_filter.token[2:], chain_format.address)
        return _split(answer.events, log_filter, chain_format)
    return decode_logs(answer, log_filter, chain_format)


def _split(events: pl.DataFrame, log_filter: LogFilter, chain_format: ChainFormat) -> DecodedLogs:
    """Rows of validated events (block_number, block_hash, tx_hash, log_index, kind, the *_hex40 columns,
    amount_raw), spelled as the chain stores them."""
    address = chain_format.address
    base = events.with_columns(
        chain=pl.lit(log_filter.chain),
        token=address(pl.lit(log_filter.token[2:])).first(),
        tx_hash=chain_format.tx_hash(pl.col("tx_hash")),
    )
    keys = ["chain", "token", "block_number", "tx_hash", "log_index"]
    transfers, supply_events = split_events(base, log_filter.layout, address, keys)
    block_hashes = base.select("block_number", "block_hash").unique()
    if block_hashes["block_number"].n_unique() != block_hashes.height:
        raise BadResponse(
            f"node returned logs from two different blocks at the same height in "
            f"{log_filter.from_block}-{log_filter.to_block} (chain reorganized during the request)"
        )
    return DecodedLogs(transfers=transfers, supply_events=supply_events, block_hashes=block_hashes.sort("block_number"))
