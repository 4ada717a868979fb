"""The DuckDB file: connection, numbered migrations, and transactional writes.

Each sync step is one transaction holding its rows *and* the sync state that
says they are there, so a crash leaves either both or neither.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb

from tracker import compiled, settings
from tracker.errors import TrackerError
from tracker.settings import hashed_blocks
from tracker.tokens import MAX_DECIMALS

if TYPE_CHECKING:
    import polars as pl

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# Views and macros: one file each, `NN_name.sql`, applied in NN order (a view is bound when created, so
# what it reads comes first).
_VIEW_NAME = re.compile(r"^(\d{2})_([a-z0-9_]+)\.sql$")
_COMMENT = re.compile(r"--[^\n]*")


# `blocks` rows of a chain below its hashed window (parameters: chain, chain, hashed_blocks()).
_BELOW_HASHED_WINDOW = "chain = ? AND block_number < (SELECT max(last_block) FROM sync_state WHERE chain = ?) - ?"


@dataclass(frozen=True)
class SyncState:
    chain: str
    token: str
    last_block: int
    last_block_hash: str
    source: str | None = None
    scope: str | None = None


@dataclass(frozen=True)
class Batch:
    """Everything one sync step writes: rows for [from_block, to_block] and the new frontier."""

    chain: str
    token: str
    from_block: int
    to_block: int
    to_block_hash: str
    transfers: pl.DataFrame  # chain, token, block_number, block_time, tx_hash, log_index, from/to_address, amount_raw
    supply_events: pl.DataFrame  # the same keys, kind, address, amount_raw (`amount` is derived on insert)
    blocks: pl.DataFrame  # chain, block_number, block_hash, block_time
    source: str = "jsonrpc"
    scope: str = "all"
    # the token's registry facts, recorded in `tokens` with the first batch (the views scale amounts by them)
    symbol: str | None = None
    decimals: int = 6
    # True only for a join of batches that were each checked (`joined`): their ranges adjoin, so no log repeats
    checked: bool = field(default=False, repr=False, compare=False)
    # True when the source already refused every transaction hash not spelled as it is stored (the EVM decoders
    # take only ^0x[0-9a-f]{64}$, which both chains' spellings keep): the regex is not run a second time
    hashes_checked: bool = field(default=False, repr=False, compare=False)
    # `transfers` as transfer_logs stores them, still by address (`stored_transfers`); made with the batch
    stored: pl.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Checked and put in stored form where the batch is built (a sync's request threads), not in the writer,
        # whose thread the others wait for: a Batch that exists can be stored as it came.
        if not self.checked and not self.hashes_checked:
            _refuse_malformed_hashes(self)
        if self.stored is None:
            object.__setattr__(self, "stored", stored_transfers(self.transfers))
        if not self.checked:
            _refuse_repeated_logs(self)

    @property
    def log_count(self) -> int:
        return self.transfers.height + self.supply_events.height


def joined(batches: list[Batch]) -> Batch:
    """Consecutive steps of one sync as one step (one transaction): the blocks of all, the frontier of the last."""
    if len(batches) == 1:
        return batches[0]
    import polars as pl

    for before, after in zip(batches, batches[1:]):
        if (after.from_block != before.to_block + 1
                or (after.chain, after.token, after.source, after.scope) != (before.chain, before.token, before.source, before.scope)):
            raise TrackerError(f"internal: steps {before.from_block}-{before.to_block} and {after.from_block}-"
                               f"{after.to_block} of {before.chain} {before.token} do not adjoin")
    # Each one's stored rows are in order and their ranges adjoin, so the joined rows are in order too.
    return replace(batches[-1], from_block=batches[0].from_block, checked=True,
                   transfers=pl.concat([batch.transfers for batch in batches]),
                   stored=pl.concat([batch.stored for batch in batches]),
                   supply_events=pl.concat([batch.supply_events for batch in batches]),
                   blocks=pl.concat([batch.blocks for batch in batches]))


# A transaction hash as text is 0x + 64 lower-case hex digits, except on Tron: the digits alone. It is stored as its
# 32 bytes (migration 012). The SQL side of the rule is the tx_hash_bytes and tx_hash_text macros
# (sql/views/20_tx_hash_bytes.sql, 02_tx_hash_text.sql); these two are its Python side, for the sync's writes.
_HASH_WITHOUT_PREFIX = "tron"


def _hash_prefix(chain: str) -> str:
    return "" if chain == _HASH_WITHOUT_PREFIX else "0x"


def _hash_prefix_length(chain: pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.when(chain == _HASH_WITHOUT_PREFIX).then(0).otherwise(2)


def stored_transfers(transfers: pl.DataFrame) -> pl.DataFrame:
    """Transfers (the `transfers` columns) as transfer_logs holds them, in the order it holds them (by chain,
    block, transaction hash, log index), but with their addresses still as text: the hash as its 32 bytes
    (what tx_hash_bytes gives: hex order is byte order), and a supply_leg column whether or not the source
    marks legs. The writer then only gives the addresses their ids."""
    import polars as pl

    hash_hex = pl.col("tx_hash").cast(pl.String).str.slice(_hash_prefix_length(pl.col("chain")))
    supply_leg = pl.col("supply_leg") if "supply_leg" in transfers.columns else pl.lit(None, pl.String)
    return transfers.select(
        "chain", "token", "block_number", "block_time", hash_hex.str.decode("hex").alias("tx_hash"), "log_index",
        "from_address", "to_address", "amount_raw", supply_leg.cast(pl.String).alias("supply_leg"),
    ).sort("chain", "block_number", "tx_hash", "log_index")


def _refuse_malformed_hashes(batch: Batch) -> None:
    """Refuse transaction hashes that could not be stored as they came."""
    import polars as pl

    # Transaction hashes are stored as bytes: one that would not read back as it came is refused rather than
    # stored changed. Those that read back are exactly those spelled as tx_hash_text spells 32 bytes.
    transfers = batch.transfers
    if transfers.height:
        tx_hash = pl.col("tx_hash").cast(pl.String)
        spelled = (tx_hash.str.contains("^(?:0x)?[0-9a-f]{64}$")
                   & (tx_hash.str.len_bytes() == 64 + _hash_prefix_length(pl.col("chain"))))
        malformed = transfers.filter(~spelled.fill_null(False))
        if malformed.height:
            raise TrackerError(
                f"the {batch.chain} source returned a malformed transaction hash {malformed['tx_hash'][0]!r} in "
                f"blocks {batch.from_block:,}-{batch.to_block:,}; nothing was written"
            )


def _refuse_repeated_logs(batch: Batch) -> None:
    """Refuse a log listed twice (the same transaction hash and log index)."""
    import polars as pl

    # The event tables carry no unique index (it cost more disk than the rows, see migration 011): whole block
    # ranges are replaced, so the one way to store a log twice is a source that lists it twice in one batch.
    # `tracker verify` counts what is stored twice, should anything slip by.
    def refuse(tx_hash: str, log_index: int) -> None:
        raise TrackerError(f"the {batch.chain} source returned log {log_index} of transaction {tx_hash} twice in "
                           f"blocks {batch.from_block:,}-{batch.to_block:,}; nothing was written")

    stored = batch.stored
    if stored.height:
        # Stored rows are sorted by block, hash and index: a log listed twice in one block sits next to itself,
        # and unless a hash comes back in another block (more runs of hashes than hashes), that is the only way.
        tx_hash, log_index = pl.col("tx_hash"), pl.col("log_index")
        check = stored.select(
            repeated=((tx_hash == tx_hash.shift(1)) & (log_index == log_index.shift(1))).fill_null(False),
            new_run=((tx_hash != tx_hash.shift(1)) | (pl.col("block_number") != pl.col("block_number").shift(1)))
            .fill_null(True))
        suspects = stored.filter(check["repeated"])
        if not suspects.height and check["new_run"].sum() != stored["tx_hash"].n_unique():
            suspects = stored.filter(pl.struct("tx_hash", "log_index").is_duplicated())
        if suspects.height:
            refuse(_hash_prefix(batch.chain) + suspects["tx_hash"][0].hex(), suspects["log_index"][0])
    supply = batch.supply_events
    if supply.height:
        repeated = supply.filter(pl.struct("tx_hash", "log_index").is_duplicated())
        if repeated.height:
            refuse(repeated["tx_hash"][0], repeated["log_index"][0])


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order."""
    found = []
    for entry in resources.files("tracker.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def views() -> list[tuple[str, str]]:
    """(name, sql) for every bundled view and macro, in the order they are created."""
    found = []
    for entry in (resources.files("tracker") / "sql" / "views").iterdir():
        match = _VIEW_NAME.match(entry.name)
        if match:
            found.append((match.group(1), match.group(2), entry.read_text(encoding="utf-8")))
    return [(name, sql) for _, name, sql in sorted(found)]


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One DuckDB transaction: committed when the block ends, rolled back (and the error re-raised) if it fails."""
    connection.begin()
    try:
        yield connection
        connection.commit()
    except Exception:
        connection.rollback()
        raise


def analytic_sql(name: str) -> str:
    """One bundled analytic statement (`tracker/sql/analytics/NAME.sql`, `$param` placeholders)."""
    return (resources.files("tracker") / "sql" / "analytics" / f"{name}.sql").read_text(encoding="utf-8")


def _digest(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


# DuckDB lets one process write a file, and no other process read it meanwhile. Writers hold it briefly
# (a sync opens it per step), so a command that finds it locked waits and retries up to
# database.busy_timeout seconds, then says "database is busy" in one line. A sync already under way
# waits up to WRITER_WAIT for its next step (a reader's query may take a while on a big file).
WRITER_WAIT = 120.0
READER_RETRY = 0.05


def waiting_file(path: Path) -> Path:
    """Where tracker processes say they are waiting for the file: each holds a shared lock on it meanwhile."""
    return Path(f"{path}.readers-waiting")


def say_waiting(path: Path) -> IO[bytes] | None:
    """Hold a shared lock on the waiting file until the handle is closed; None if it cannot be had just now
    (a folder this process cannot write, or a writer looking at that instant): the next retry asks again."""
    try:
        handle = waiting_file(path).open("ab")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class WaitingReaders:
    """A writer's view of the waiting file: is another tracker process waiting for the database?"""

    def __init__(self, path: Path) -> None:
        self.path = waiting_file(path)
        self.handle: IO[bytes] | None = None

    def any(self) -> bool:
        try:
            if self.handle is None:
                self.handle = self.path.open("ab")
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:  # cannot create it here: nobody can be signalling either
            return False
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class UnreadableDatabase(TrackerError):
    """DuckDB refused to open the file (not a database, damaged, or from a newer DuckDB)."""


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise TrackerError(f"database {path} does not exist (run `tracker sync` first)")
    if not read_only and not path.parent.exists():
        raise TrackerError(f"cannot create database {path}: folder {path.parent} does not exist")
    deadline = time.monotonic() + wait
    waiting: IO[bytes] | None = None  # held while this process waits: a sync writing the file lends it at once
    try:
        while True:
            try:
                connection = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as error:
                message = str(error).splitlines()[0]
                if "lock" not in message.lower():
                    raise UnreadableDatabase(f"cannot open database {path}: {message}") from error
                if time.monotonic() >= deadline:
                    raise TrackerError(f"database {path} is busy: another tracker process is using it "
                                       f"(waited {wait:g} s; try again when it is done)") from error
                waiting = waiting or say_waiting(path)
                time.sleep(READER_RETRY)
            except duckdb.Error as error:
                raise UnreadableDatabase(f"cannot open database {path}: {str(error).splitlines()[0]}") from error
    finally:
        if waiting is not None:
            waiting.close()  # drops the lock
    configure_session(connection)
    return connection


# A new file starts as a copy of the bundled empty schema (every migration and view applied, nothing else): DuckDB
# takes ≈ 90 ms of CPU to create the ≈ 100 tables, views and macros one statement at a time, and ≈ 25 ms to open
# the copy. `Store.open` still migrates the copy, so a template older than the bundled migrations or views only
# costs the statements it lacks; one DuckDB cannot open is removed and the file created by the statements.
# scripts/schema_template.py writes it; tests/test_schema_template.py fails when it is not current.
SCHEMA_TEMPLATE = "schema.duckdb.gz"


def schema_template_bytes() -> bytes | None:
    """The bundled template, unpacked (None if the package has none)."""
    try:
        packed = (resources.files("tracker") / "data" / SCHEMA_TEMPLATE).read_bytes()
    except OSError:
        return None
    return zlib.decompress(packed, 31)  # gzip


def _copy_schema_template(path: Path) -> bool:
    """Create `path` as a copy of the template if no file is there; False if it was not (the file exists, the
    folder does not, there is no template, or the file system cannot link).

    The copy is written whole and synced under a temporary name, then linked to `path`, which fails if `path`
    appeared meanwhile: another process never sees a half-written file, and never has one replaced."""
    if path.exists() or not path.parent.is_dir():
        return False
    body = schema_template_bytes()
    if body is None:
        return False
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        with open(partial, "xb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, path)
    except OSError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True


def write_schema_template(destination: Path) -> None:
    """Create an empty file by the migrations alone and write it, gzipped, to `destination`."""
    import gzip
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        created = Path(folder) / "schema.duckdb"
        store = Store(_connect(created, False, 0.0), created)
        store.migrate()
        store.watch_addresses()
        store.connection.execute("CHECKPOINT")
        store.close()
        destination.write_bytes(gzip.compress(created.read_bytes(), compresslevel=9, mtime=0))


# Transfers are stored with their addresses interned (migration 012): the addresses of a source relation
# (with from_address and to_address columns) are looked up in `addresses` in one pass (a scan: ≈ 75 ms at
# 5M known wallets), the new ones numbered after the highest id, and the rows written by address id.
_STEP_ADDRESSES = """
CREATE OR REPLACE TEMP TABLE step_addresses AS
SELECT arriving.address,
       coalesce(known.address_id,
                CAST((SELECT coalesce(max(address_id), 0) FROM addresses)
                     + row_number() OVER (PARTITION BY known.address_id IS NULL ORDER BY arriving.address)
                     AS INTEGER)) AS address_id,
       known.address_id IS NULL AS is_new
FROM (SELECT from_address AS address FROM {source} UNION SELECT to_address FROM {source}) arriving
LEFT JOIN addresses known USING (address)
"""
_INSERT_NEW_ADDRESSES = "INSERT INTO addresses SELECT address_id, address FROM step_addresses WHERE is_new ORDER BY address_id"
# From rows in stored form (`stored_transfers`). The joins do not keep the rows' order (parallel probes), so
# they are sorted again; rows whose ids came from an AddressBook are only copied, in the order they came.
_INSERT_TRANSFER_LOGS = """
INSERT INTO transfer_logs
SELECT t.chain, t.token, t.block_number, t.block_time, t.tx_hash, t.log_index,
       f.address_id, r.address_id, t.amount_raw, t.supply_leg
FROM {source} t JOIN step_addresses f ON f.address = t.from_address JOIN step_addresses r ON r.address = t.to_address
ORDER BY t.chain, t.block_number, t.tx_hash, t.log_index
"""
_COPY_TRANSFER_LOGS = """
INSERT INTO transfer_logs
SELECT chain, token, block_number, block_time, tx_hash, log_index, from_id, to_id, amount_raw, supply_leg FROM {source}
"""
# A relation with the `transfers` columns, in stored form (as stored_transfers makes it).
_STORED_FORM = """(SELECT chain, token, block_number, block_time, tx_hash_bytes(chain, tx_hash) AS tx_hash, log_index,
       from_address, to_address, amount_raw, {supply_leg} AS supply_leg
FROM {source} ORDER BY chain, block_number, tx_hash, log_index)"""


class _ArrowStream:
    """A polars frame as DuckDB scans it: through the Arrow C stream interface, one fresh stream per scan.

    `register` of the frame itself goes through pyarrow (and numpy), imports that cost a sync's start-up
    more than its first step's writing; the stream interface needs neither.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def register_frame(connection: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Make a polars frame readable as view `name` on this connection (unregister it when done).

    A column with no value at all (polars type Null, e.g. a venue that sends no mark price) is read as
    VARCHAR NULLs: DuckDB's stream reader refuses Arrow's null type (its nulls have no validity bitmap), and
    NULL VARCHAR inserts into a column of any type.
    """
    import polars as pl

    if pl.Null in frame.schema.dtypes():
        frame = frame.with_columns(pl.col(pl.Null).cast(pl.String))
    connection.register(name, _ArrowStream(frame))


def intern_addresses(connection: duckdb.DuckDBPyConnection, source: str) -> None:
    """Give every from/to address of relation `source` an id (new ones after the highest), leaving the
    mapping in temp table step_addresses. The caller holds the transaction."""
    connection.execute(_STEP_ADDRESSES.format(source=source))
    connection.execute(_INSERT_NEW_ADDRESSES)


def insert_transfers(connection: duckdb.DuckDBPyConnection, source: str) -> None:
    """Store the transfers of relation `source` (a table with the `transfers` columns; `amount` is not read:
    it is derived from amount_raw). The caller holds the transaction. A sync's steps come in stored form
    instead (`insert_stored_transfers`)."""
    supply_leg = "supply_leg" in {row[0] for row in connection.execute(f"DESCRIBE {source}").fetchall()}
    insert_stored_transfers(connection, _STORED_FORM.format(
        source=source, supply_leg="supply_leg" if supply_leg else "CAST(NULL AS VARCHAR)"))


def insert_stored_transfers(connection: duckdb.DuckDBPyConnection, source: str) -> None:
    """Store relation `source`, rows in stored form (`stored_transfers`). The caller holds the transaction."""
    intern_addresses(connection, source)
    connection.execute(_INSERT_TRANSFER_LOGS.format(source=source))


_addressbook = compiled.load("tracker._addressbook")  # None: every step's addresses are looked up in the file

ADDRESS_BOOK_SWITCH = "TRACKER_ADDRESS_BOOK"  # "0": look every step's addresses up in the file (to compare)
BOOK_FROM_ROWS = 10_000  # a sync loads its book at the first step this large: a tail sync of a few logs never does
BOOK_MOST_ADDRESSES = 2_000_000  # a file with more is not held in memory (≈ 100 bytes an address); steps scan it
# A file with more addresses than this: a sync's first write looks its addresses up in the file, and the book is
# loaded from its second write on. Reading a book in costs as much as several writes' lookups (BENCHMARKS.md, issue
# 22's twelfth pass), and a cron's sync of the last few minutes is one write.
BOOK_LOADED_AT_ONCE = 250_000
_BOOK_LOAD_ROWS = 500_000  # addresses read from the file per statement while loading


def _given_ids(handle: object, stored: pl.DataFrame, first: int) -> tuple[pl.DataFrame, pl.DataFrame | None] | None:
    """`stored` with from_id and to_id from the book `handle` (new addresses numbered from `first`), and the new
    addresses as (address_id, address); None for keys the book cannot hold (a null, an empty one)."""
    import polars as pl

    keys = pl.concat([stored["from_address"], stored["to_address"]]).cast(pl.String)
    if keys.null_count():
        return None
    try:  # the keys as polars holds them (Arrow string views): no joined copy of every address
        ids, new = _addressbook.intern(handle, keys.__arrow_c_stream__(), first)
    except ValueError:  # an empty key: not an address the book can hold
        return None
    positions = pl.Series(compiled.ArrowArray(new))
    fresh = None
    if positions.len():
        fresh = pl.DataFrame({"address_id": pl.int_range(first, first + positions.len(), dtype=pl.Int32, eager=True),
                              "address": keys.gather(positions)})
    every_id = pl.Series(compiled.ArrowArray(ids))
    return stored.with_columns(from_id=every_id.head(stored.height), to_id=every_id.tail(stored.height)), fresh


class AddressBook:
    """Every address of the file with its id, held in memory for the lifetime of a sync's writer, so a step's
    addresses get their ids in time proportional to the step rather than by a scan of `addresses` per write.

    The book is checked against the file at every write, in that write's transaction: ids are dense (1..n,
    each new one after the highest), so the book is whole when it holds as many addresses as the file's
    highest id. Addresses another process added while the file was lent are read in (those above the book's
    highest id); a book ahead of the file (a write that failed after giving ids) is dropped and read again.
    """

    def __init__(self) -> None:
        self.handle: object | None = None
        self.highest = 0  # the highest id held (the book holds ids 1..highest)
        self.unused = _addressbook is None or not compiled.switched_on(ADDRESS_BOOK_SWITCH)
        self.first_write_seen = False  # a large file's first write (of a step the book would take) is looked up

    def drop(self) -> None:
        self.handle, self.highest = None, 0

    def start_ids(self, connection: duckdb.DuckDBPyConnection, stored: pl.DataFrame) -> Future | None:
        """Give the addresses of `stored` (rows in stored form) their ids: the book is checked against the file here
        (in the caller's transaction), and the ids are given on a thread of their own while the caller's thread
        runs the write's other statements (DuckDB and the book's C code both let go of the GIL); `finish_ids`
        takes the answer. None when the book is not used for this step (the caller looks the addresses up in the
        file). Nothing else may use the book until `finish_ids`."""
        if self.unused or (self.handle is None and stored.height < BOOK_FROM_ROWS):
            return None
        count, highest = connection.execute("SELECT count(*), coalesce(max(address_id), 0) FROM addresses").fetchall()[0]
        if self.handle is None and not self.first_write_seen:
            self.first_write_seen = True
            if count > BOOK_LOADED_AT_ONCE:
                return None
        if not self._catch_up(connection, count, highest):
            return None
        from tracker.http import in_background  # loaded already: only a sync's writer keeps a book

        handle, first = self.handle, self.highest + 1
        return in_background(lambda: _given_ids(handle, stored, first), name="tracker-address-ids")

    def finish_ids(self, connection: duckdb.DuckDBPyConnection, pending: Future) -> pl.DataFrame | None:
        """The rows `start_ids` was given, with their ids; the new addresses inserted into `addresses`."""
        answer = pending.result()
        if answer is None:
            return None
        with_ids, fresh = answer
        if fresh is not None:
            self.highest += fresh.height
            register_frame(connection, "book_new_addresses", fresh)
            try:
                connection.execute("INSERT INTO addresses SELECT address_id, address FROM book_new_addresses")
            finally:
                connection.unregister("book_new_addresses")
        if self.highest > BOOK_MOST_ADDRESSES:  # grown past what it may hold: later steps scan the file
            self.drop()
            self.unused = True
        return with_ids

    def _catch_up(self, connection: duckdb.DuckDBPyConnection, count: int, highest: int) -> bool:
        """Make the book hold exactly the file's addresses (`count` of them, the highest id `highest`, as read in
        this transaction); False if it cannot (too many, ids not dense)."""
        import polars as pl

        if count != highest or count > BOOK_MOST_ADDRESSES:
            self.drop()
            self.unused = True  # for the rest of this sync
            return False
        if self.handle is None or highest < self.highest:
            self.handle, self.highest = _addressbook.book(), 0
        while self.highest < highest:
            top = min(highest, self.highest + _BOOK_LOAD_ROWS)
            # Read as Arrow (DuckDB's stream, polars' string views), not joined into one string: ≈ 4× faster.
            loaded = pl.DataFrame(connection.sql(
                "SELECT address FROM addresses WHERE address_id > $1 AND address_id <= $2 ORDER BY address_id",
                params=[self.highest, top]))
            try:
                if loaded.height != top - self.highest:
                    raise ValueError("ids not dense")
                _addressbook.add(self.handle, loaded["address"].__arrow_c_stream__(), self.highest + 1)
            except ValueError:  # an id given twice, an address held twice, or an empty or missing one
                self.drop()
                self.unused = True
                return False
            self.highest = top
        return True


# The wallets flows and reserves watch (every labeled or anchored address), with their ids: those views
# find them here instead of reading all of `addresses` (5M rows at 100M transfers, ≈ 0.1 s a query).
# Every write that adds labels or anchors brings it up to date, and so does every writable open; a reader
# that finds it short (labels written by hand) gets one short write first (queries.open_for_reading).
_WATCHED = "(SELECT address FROM labels UNION SELECT address FROM balance_anchors)"
_UNWATCHED = f"SELECT count(*) FROM {_WATCHED} w WHERE address NOT IN (SELECT address FROM watched_addresses)"


def unwatched_count(connection: duckdb.DuckDBPyConnection) -> int:
    """Labeled or anchored addresses missing from watched_addresses."""
    return connection.execute(_UNWATCHED).fetchall()[0][0]


def watch_addresses(connection: duckdb.DuckDBPyConnection) -> None:
    """Give every labeled or anchored address an id and record it in watched_addresses (the caller holds
    the transaction). Cheap when nothing is missing: only then is `addresses` read."""
    if not unwatched_count(connection):
        return
    intern_addresses(connection, f"(SELECT address AS from_address, address AS to_address FROM {_WATCHED})")
    connection.execute("INSERT INTO watched_addresses SELECT address, address_id FROM step_addresses"
                       " WHERE address NOT IN (SELECT address FROM watched_addresses)")


_AMOUNT_TYPE = "SELECT 1 FROM duckdb_types() WHERE type_name = 'amount' AND database_name = current_database()"
# Stored token amounts (the raw integers beside them are exact whatever the scale): kept at the amount type's scale.
STORED_AMOUNTS = (("supply_events", "amount"), ("balance_anchors", "balance"), ("supply_anchors", "total_supply"),
                  ("discovered_deposits", "received"), ("discovered_deposits", "forwarded"),
                  ("discovered_hot_wallets", "swept_in"), ("discovered_hot_wallets", "received"),
                  ("discovered_hot_wallets", "from_entity"), ("discovered_hot_wallets", "paid_out"),
                  ("signals", "netflow"), ("signals", "net_issuance_7d"))


def fit_amount_type(connection: duckdb.DuckDBPyConnection) -> None:
    """Make the `amount` type (every token amount the views and queries show) as fine as the finest synced
    token: DECIMAL(38,6) while every token has 6 decimals, so USDT-only outputs read as they always did, and
    DECIMAL(38,d) once a token with d > 6 decimals is synced (never rounded), the stored amount columns widened
    with it (exactly: only more places). The caller holds the transaction; views are bound when read, so they
    take the new scale at once."""
    scale = connection.execute("SELECT greatest(6, coalesce(max(decimals), 6)) FROM tokens").fetchall()[0][0]
    wanted = f"DECIMAL(38,{scale})"
    current = _amount_type(connection)
    if current == wanted:
        return
    if current:
        # Finer places leave fewer whole digits: every stored amount must still fit (a node's 10^20-token lie).
        for chain, token, decimals in connection.execute(
                "SELECT chain, token, decimals FROM tokens WHERE decimals < ?", [scale]).fetchall():
            largest = connection.execute(
                "SELECT max(amount_raw) FROM (SELECT amount_raw FROM transfer_logs WHERE chain = ? AND token = ?"
                " UNION ALL SELECT amount_raw FROM supply_events WHERE chain = ? AND token = ?)",
                [chain, token, chain, token]).fetchall()[0][0]
            check_fits(chain, token, decimals, scale, largest)
        connection.execute("DROP TYPE amount")
    connection.execute(f"CREATE TYPE amount AS {wanted}")
    for table, column in STORED_AMOUNTS:
        connection.execute(f"ALTER TABLE {table} ALTER {column} TYPE {wanted}")


def _amount_type(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The `amount` type as DuckDB spells it (`DECIMAL(38,6)`), None before it exists."""
    if not connection.execute(_AMOUNT_TYPE).fetchall():
        return None
    return _spelled_amount_type(connection)


def _spelled_amount_type(connection: duckdb.DuckDBPyConnection) -> str:
    # duckdb_types() gives only "DECIMAL" for a user type, so the type of a cast is read.
    return connection.execute("SELECT typeof(CAST(NULL AS amount))").fetchall()[0][0]


def amount_scale(connection: duckdb.DuckDBPyConnection) -> int:
    """The places of the `amount` type: 6, or the most decimals a synced token has (of a migrated file, which
    always has the type: the migrations create it)."""
    return int(_spelled_amount_type(connection).split(",")[1].rstrip(")"))


def check_fits(chain: str, token: str, decimals: int, scale: int, largest: Any) -> None:
    """Refuse a raw amount whose value has more whole digits than DECIMAL(38, scale) holds (never rounded or cut)."""
    if largest is not None and int(largest) >= 10 ** (38 - scale + decimals):
        raise TrackerError(f"{chain} token {token}: amount {int(largest):,} (raw, {decimals} decimals) is "
                           f"10^{38 - scale} tokens or more, more than {scale}-place amounts hold; nothing was written")


def register_token(connection: duckdb.DuckDBPyConnection, chain: str, token: str, symbol: str | None,
                   decimals: int) -> None:
    """Record a token's symbol and decimals before its first rows (the caller holds the transaction). A token
    stored with other decimals is refused: its rows would be scaled two ways."""
    if not 0 <= decimals <= MAX_DECIMALS:
        raise TrackerError(f"{chain} token {token} has {decimals} decimals; the tracker stores at most {MAX_DECIMALS}")
    stored = connection.execute("SELECT decimals, symbol FROM tokens WHERE chain = ? AND token = ?",
                                [chain, token]).fetchall()
    if stored and stored[0][0] != decimals:
        raise TrackerError(f"{chain} token {token} is stored with {stored[0][0]} decimals, not {decimals}; "
                           f"nothing was written")
    if stored and (stored[0][1] == symbol or symbol is None):
        return
    connection.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)",
                       [chain, token, symbol or (stored[0][1] if stored else None), decimals,
                        Decimal(1).scaleb(-decimals)])
    fit_amount_type(connection)


def token_decimals(connection: duckdb.DuckDBPyConnection, chain: str, token: str) -> int:
    """The decimals a stored token was registered with."""
    found = connection.execute("SELECT decimals FROM tokens WHERE chain = ? AND token = ?", [chain, token]).fetchall()
    if not found:
        raise TrackerError(f"{chain} token {token} has no rows yet: sync it first")
    return found[0][0]


def configure_session(connection: duckdb.DuckDBPyConnection) -> None:
    """What every tracker session needs: UTC days, no progress bar (DuckDB draws it on stdout, where it
    would land inside a piped CSV once a query runs longer than 2 s), and the user's memory limit if set."""
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")
    limit = settings.get("database.memory_limit")
    if limit:
        try:
            connection.execute(f"SET memory_limit = '{str(limit).replace(chr(39), '')}'")
        except duckdb.Error:
            raise TrackerError(f"database.memory_limit {limit!r} is not a size (e.g. 2GB, 500MB)") from None


class Store:
    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.from_template = False  # created by Store.open as a copy of the schema template

    @classmethod
    def open(cls, path: Path, read_only: bool = False, wait: float | None = None, migrate: bool = True) -> Store:
        """Open (and migrate, unless read-only); wait for a busy file up to `wait` s (default: see above).

        `migrate=False`: the caller opened and migrated this file earlier in the same run and reopens it
        to write rows that change neither schema nor labels (a sync's next steps, under its sync lock).
        A file that does not exist yet starts as a copy of the schema template (see SCHEMA_TEMPLATE).
        """
        if wait is None:
            wait = float(settings.get("database.busy_timeout"))
        templated = not read_only and migrate and _copy_schema_template(path)
        try:
            connection = _connect(path, read_only, wait)
        except UnreadableDatabase:
            if not templated:
                raise
            path.unlink(missing_ok=True)  # a template this DuckDB cannot read: the statements create the file
            templated = False
            connection = _connect(path, read_only, wait)
        store = cls(connection, path)
        store.from_template = templated
        if not read_only and migrate:
            store.migrate()
            if templated:  # the migrations count as applied when this file was made, not the template
                store.connection.execute("UPDATE schema_migrations SET applied_at = ?", [datetime.now(timezone.utc)])
            store.watch_addresses()
        return store

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def is_current(self) -> bool:
        """Has the file every bundled migration and view as bundled (so a reader need not open it for writing)?"""
        try:
            done = {row[0] for row in self.connection.execute("SELECT version FROM schema_migrations").fetchall()}
            applied = dict(self.connection.execute("SELECT name, sql_sha256 FROM schema_views").fetchall())
        except duckdb.Error:
            return False
        return ({version for version, _, _ in migrations()} <= done
                and applied == {name: _digest(sql) for name, sql in views()})

    def migrate(self) -> list[int]:
        """Apply bundled migrations the file has not seen yet; return the versions applied."""
        con = self.connection
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        pending = [(version, name, sql) for version, name, sql in migrations() if version not in done]
        # Every pending migration in one transaction: a new file is created whole or not at all, with one commit
        # instead of one per migration (most of what creating a file cost).
        with transaction(con):
            for version, name, sql in pending:
                if _COMMENT.sub("", sql).strip():  # a migration whose views moved out may hold only comments
                    con.execute(sql)
            if pending:  # recorded in one statement: one per row cost creating a file ≈ 2 ms a row
                now = datetime.now(timezone.utc)
                con.execute("INSERT INTO schema_migrations VALUES " + ", ".join(["(?, ?, ?)"] * len(pending)),
                            [value for version, name, _ in pending for value in (version, name, now)])
            fit_amount_type(con)
        applied = [version for version, _, _ in pending]
        self.apply_views()
        return applied

    def apply_views(self) -> list[str]:
        """(Re)create every bundled view and macro whose text the file does not have yet; return their names.

        Views live outside the migrations, one file each, so each has one definition; a changed file is
        applied on the next writable open, in one transaction with the record of what was applied.
        """
        con = self.connection
        con.execute("CREATE TABLE IF NOT EXISTS schema_views (name VARCHAR PRIMARY KEY, sql_sha256 VARCHAR NOT NULL)")
        applied = dict(con.execute("SELECT name, sql_sha256 FROM schema_views").fetchall())
        wanted = [(name, sql) for name, sql in views() if applied.get(name) != _digest(sql)]
        if not wanted:
            return []
        with transaction(con):
            for name, sql in wanted:
                con.execute(sql)
            con.execute("INSERT OR REPLACE INTO schema_views VALUES " + ", ".join(["(?, ?)"] * len(wanted)),
                        [value for name, sql in wanted for value in (name, _digest(sql))])
        return [name for name, _ in wanted]

    def watch_addresses(self) -> None:
        """watch_addresses in a transaction of its own."""
        with transaction(self.connection):
            watch_addresses(self.connection)

    # -- sync state -----------------------------------------------------------------------------

    def sync_state(self, chain: str, token: str) -> SyncState | None:
        found = self.connection.execute(
            "SELECT last_block, last_block_hash, source, scope FROM sync_state WHERE chain = ? AND token = ?",
            [chain, token],
        ).fetchall()
        return SyncState(chain, token, *found[0]) if found else None

    def sync_ranges(self, chain: str, token: str) -> list[tuple[int, int]]:
        return self.connection.execute(
            "SELECT from_block, to_block FROM sync_ranges WHERE chain = ? AND token = ? ORDER BY from_block",
            [chain, token],
        ).fetchall()

    def stored_blocks_below(self, chain: str, below: int, limit: int) -> list[tuple[int, str]]:
        """Newest stored (block_number, block_hash) under `below` that still have a hash, newest first:
        reorg walk-back candidates."""
        return self.connection.execute(
            "SELECT block_number, block_hash FROM blocks WHERE chain = ? AND block_number < ?"
            " AND block_hash IS NOT NULL ORDER BY block_number DESC LIMIT ?",
            [chain, below, limit],
        ).fetchall()

    def has_forgotten_block_hashes(self, chain: str) -> bool:
        """Have stored blocks of `chain` below the hashed window lost their hash (see hashed_blocks)?"""
        return bool(self.connection.execute(
            f"SELECT count(*) FROM blocks WHERE {_BELOW_HASHED_WINDOW} AND block_hash IS NULL",
            [chain, chain, hashed_blocks()],
        ).fetchall()[0][0])

    # -- writes ---------------------------------------------------------------------------------

    def record_token(self, chain: str, token: str, symbol: str | None, decimals: int) -> None:
        """A token's row, in a transaction of its own (a step's write finds it there and adds nothing)."""
        with transaction(self.connection) as con:
            register_token(con, chain, token, symbol, decimals)

    def write_batch(self, batch: Batch, book: AddressBook | None = None) -> None:
        """Replace rows of [from_block, to_block] and move the frontier, atomically. A sync's writer passes
        its address book (kept across its writes)."""
        con = self.connection
        register_frame(con, "batch_supply", batch.supply_events)
        register_frame(con, "batch_blocks", batch.blocks)
        try:
            self._replace_range(batch, book)
        except BaseException:
            if book is not None:
                book.drop()  # it may hold ids this write gave and did not commit
            raise
        finally:
            # batch_transfers is registered inside the transaction (its ids come from the book's check there) but
            # unregistered only here, once the transaction is over: DuckDB refuses even an unregister in an
            # aborted one, which would hide the error that aborted it. A name never registered is no error.
            for name in ("batch_transfers", "batch_supply", "batch_blocks"):
                con.unregister(name)

    def _insert_batch_transfers(self, batch: Batch, book: AddressBook | None, pending: Future | None) -> None:
        """Insert the batch's transfers, registered as batch_transfers (write_batch unregisters it); `pending`: the
        ids the book is giving them (`AddressBook.start_ids`), else None."""
        con = self.connection
        with_ids = book.finish_ids(con, pending) if pending is not None else None
        if with_ids is None:
            register_frame(con, "batch_transfers", batch.stored)
            insert_stored_transfers(con, "batch_transfers")
        else:
            register_frame(con, "batch_transfers", with_ids.drop("from_address", "to_address"))
            con.execute(_COPY_TRANSFER_LOGS.format(source="batch_transfers"))

    def _replace_range(self, batch: Batch, book: AddressBook | None = None) -> None:
        con = self.connection
        key = [batch.chain, batch.token, batch.from_block, batch.to_block]
        with transaction(con):
            # Re-syncing a range replaces it, so overlapping runs never double rows.
            for table in ("transfer_logs", "supply_events"):
                con.execute(
                    f"DELETE FROM {table} WHERE chain = ? AND token = ? AND block_number BETWEEN ? AND ?", key
                )
            # The addresses get their ids on a thread of their own while this one runs the other statements; the
            # rows go in last (one transaction: the order inside it is not seen).
            pending = book.start_ids(con, batch.stored) if book is not None and batch.transfers.height else None
            try:
                register_token(con, batch.chain, batch.token, batch.symbol, batch.decimals)
                # Per-step statements cost the writer (whose thread the others wait for) a few ms each, whatever the
                # step's size: what polars knows already, or what has no rows, is not asked of DuckDB.
                largest = max((top for rows in (batch.transfers, batch.supply_events) if rows.height
                               for top in [rows["amount_raw"].max()] if top is not None), default=None)
                if largest is not None:
                    check_fits(batch.chain, batch.token, batch.decimals, amount_scale(con), largest)
                if batch.supply_events.height:
                    con.execute("INSERT INTO supply_events BY NAME SELECT b.*, token_amount(b.amount_raw, u.unit) AS amount"
                                " FROM batch_supply b JOIN token_units u USING (chain, token)")
                con.execute("INSERT OR REPLACE INTO blocks BY NAME SELECT * FROM batch_blocks")
                self._advance(batch)
                self._forget_old_block_hashes(batch.chain)
            except BaseException:
                if pending is not None:
                    wait([pending])  # the book is dropped after this (write_batch): not while the thread uses it
                raise
            if batch.transfers.height:
                self._insert_batch_transfers(batch, book, pending)

    def _forget_old_block_hashes(self, chain: str) -> None:
        # Everything below the chain's frontier minus the window, not just what this step passed: a backfill
        # or a file from before the window existed is brought in line by its next step (≈ 2 ms at 5M blocks).
        self.connection.execute(
            f"UPDATE blocks SET block_hash = NULL WHERE {_BELOW_HASHED_WINDOW} AND block_hash IS NOT NULL",
            [chain, chain, hashed_blocks()],
        )

    def _advance(self, batch: Batch) -> None:
        con = self.connection
        now = datetime.now(timezone.utc)
        con.execute(
            "INSERT INTO sync_state (chain, token, last_block, last_block_hash, updated_at, source, scope)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain, token) DO UPDATE SET"
            " last_block_hash = CASE WHEN excluded.last_block >= sync_state.last_block"
            "   THEN excluded.last_block_hash ELSE sync_state.last_block_hash END,"
            " last_block = greatest(sync_state.last_block, excluded.last_block),"
            " updated_at = excluded.updated_at",
            [batch.chain, batch.token, batch.to_block, batch.to_block_hash, now, batch.source, batch.scope],
        )
        # Merge [from_block, to_block] with the ranges it touches or extends.
        merged = con.execute(
            "SELECT least(min(from_block), ?), greatest(max(to_block), ?) FROM sync_ranges"
            " WHERE chain = ? AND token = ? AND from_block <= ? + 1 AND to_block >= ? - 1",
            [batch.from_block, batch.to_block, batch.chain, batch.token, batch.to_block, batch.from_block],
        ).fetchall()[0]
        low = batch.from_block if merged[0] is None else merged[0]
        high = batch.to_block if merged[1] is None else merged[1]
        con.execute(
            "DELETE FROM sync_ranges WHERE chain = ? AND token = ? AND from_block <= ? + 1 AND to_block >= ? - 1",
            [batch.chain, batch.token, batch.to_block, batch.from_block],
        )
        con.execute("INSERT INTO sync_ranges VALUES (?, ?, ?, ?)", [batch.chain, batch.token, low, high])

    def rewind(self, chain: str, ancestor: int, ancestor_hash: str, ancestor_time: datetime) -> int:
        """Drop everything above `ancestor` on `chain` (a reorg); return how many event rows went."""
        con = self.connection
        with transaction(con):
            removed = 0
            for table in ("transfer_logs", "supply_events"):
                removed += con.execute(
                    f"SELECT count(*) FROM {table} WHERE chain = ? AND block_number > ?", [chain, ancestor]
                ).fetchall()[0][0]
                con.execute(f"DELETE FROM {table} WHERE chain = ? AND block_number > ?", [chain, ancestor])
            con.execute("DELETE FROM blocks WHERE chain = ? AND block_number >= ?", [chain, ancestor])
            # Anchors read on the abandoned branch describe balances that no longer exist.
            for table in ("balance_anchors", "supply_anchors"):
                con.execute(f"DELETE FROM {table} WHERE chain = ? AND block_number > ?", [chain, ancestor])
            con.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)", [chain, ancestor, ancestor_hash, ancestor_time])
            con.execute(
                "UPDATE sync_state SET last_block = ?, last_block_hash = ?, updated_at = ?"
                " WHERE chain = ? AND last_block > ?",
                [ancestor, ancestor_hash, datetime.now(timezone.utc), chain, ancestor],
            )
            con.execute("DELETE FROM sync_ranges WHERE chain = ? AND from_block > ?", [chain, ancestor])
            con.execute(
                "UPDATE sync_ranges SET to_block = ? WHERE chain = ? AND to_block > ?", [ancestor, chain, ancestor]
            )
        return removed
