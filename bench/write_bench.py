"""What a sync's writer costs per row: the real `Store.write_batch`, step after step, on generated rows.

    .venv/bin/python bench/write_bench.py [--rows 1000000] [--step-rows 50000] [--hold-steps 3] [--statements]

Builds the steps first (each `Batch` checks its rows when built: in a sync that happens on the decode
thread, so it is timed apart), then writes them into a fresh file the way a sync does: one transaction a
step, the file held for `--hold-steps` steps and then closed (a checkpoint) and reopened. Rows look like
mainnet's: 200 transfers a block, 1-3 logs a transaction, senders from a pool of known wallets, half the
recipients new. Prints µs per row for the writer, and DuckDB's floor for the same rows: the stored form
(address ids given, hash as bytes) inserted straight from an Arrow stream, committed and closed alike.
`--statements` adds the time of each SQL statement the writer ran; `--no-book` gives every step's addresses
their ids by a lookup in the file instead of the writer's address book.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from tracker import store as store_module  # noqa: E402
from tracker.store import AddressBook, Batch, Store, register_frame  # noqa: E402

TOKEN = "0xdac17f958d2ee523a2206206994597c13d831ec7"
PER_BLOCK = 200
KNOWN_SENDERS = 100_000
START = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _address(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()[:40]


def transfer_rows(rows: int) -> pl.DataFrame:
    generator = random.Random(22)
    tx_hashes, log_indexes = [], []
    tx, in_tx, logs_left = 0, 0, 0
    for row in range(rows):
        if row % PER_BLOCK == 0:
            in_tx = 0
        if logs_left == 0:
            tx += 1
            logs_left = generator.randint(1, 3)
        tx_hashes.append("0x" + hashlib.sha256(f"tx {tx}".encode()).hexdigest())
        log_indexes.append(in_tx)
        in_tx += 1
        logs_left -= 1
    senders = [_address(f"user {generator.randrange(KNOWN_SENDERS)}") for _ in range(rows)]
    recipients = [_address(f"user {generator.randrange(KNOWN_SENDERS)}") if generator.random() < 0.5
                  else _address(f"new {row}") for row in range(rows)]
    return pl.DataFrame({
        "chain": ["ethereum"] * rows, "token": [TOKEN] * rows,
        "block_number": [1 + row // PER_BLOCK for row in range(rows)],
        "tx_hash": tx_hashes, "log_index": log_indexes, "from_address": senders, "to_address": recipients,
        "amount_raw": pl.Series([generator.randrange(1, 10**12) for _ in range(rows)]).cast(pl.Decimal(38, 0)),
    }).with_columns(block_time=pl.lit(START) + pl.duration(seconds=pl.col("block_number") * 12))


def batches(rows: pl.DataFrame, step_rows: int) -> list[Batch]:
    no_supply = rows.head(0).select("chain", "token", "block_number", "tx_hash", "log_index",
                                    kind=pl.lit("issue"), address=pl.lit(None, pl.String), amount_raw="amount_raw",
                                    block_time="block_time")
    steps = []
    blocks_a_step = max(1, step_rows // PER_BLOCK)
    last_block = rows["block_number"].max()
    for low in range(1, last_block + 1, blocks_a_step):
        high = min(low + blocks_a_step - 1, last_block)
        part = rows.filter(pl.col("block_number").is_between(low, high))
        blocks = part.group_by("block_number").agg(pl.col("block_time").first()).sort("block_number").select(
            chain=pl.lit("ethereum"), block_number="block_number",
            block_hash=pl.lit("0x") + pl.col("block_number").cast(pl.String).str.pad_start(64, "0"),
            block_time="block_time")
        steps.append(Batch("ethereum", TOKEN, low, high, "0x" + str(high).rjust(64, "0"), part, no_supply, blocks))
    return steps


def held_writes(open_file: Callable[[], Any], steps: list[Any], hold_steps: int,
                write: Callable[[Any, Any], None]) -> float:
    """Seconds to write `steps` one at a time, the file opened by `open_file()` and closed (a checkpoint) every
    `hold_steps` steps, as a sync's 1-second hold does."""
    started = time.perf_counter()
    handle = None
    for index, step in enumerate(steps):
        if handle is None:
            handle = open_file()
        write(handle, step)
        if index % hold_steps == hold_steps - 1:
            handle.close()
            handle = None
    if handle is not None:
        handle.close()
    return time.perf_counter() - started


def write_all(path: Path, steps: list[Batch], hold_steps: int, book: bool = True) -> float:
    """As a sync's writer: one address book kept across every write and hold (unless `book` is False)."""
    kept = AddressBook() if book else None
    return held_writes(lambda: Store.open(path, migrate=False), steps, hold_steps,
                       lambda store, batch: store.write_batch(batch, kept))


def _insert_stored(connection: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    register_frame(connection, "step", frame)
    connection.begin()
    connection.execute("INSERT INTO transfer_logs SELECT * FROM step")
    connection.commit()
    connection.unregister("step")


def floor(path: Path, written: Path, steps: list[Batch], hold_steps: int) -> float:
    """The same rows as the writer stored them, inserted as they are stored: DuckDB's own cost."""
    source = duckdb.connect(str(written), read_only=True)
    stored = [source.sql(f"SELECT * FROM transfer_logs WHERE block_number BETWEEN {b.from_block} AND {b.to_block}").pl()
              for b in steps]
    create = source.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'transfer_logs'").fetchall()[0][0]
    source.close()
    connection = duckdb.connect(str(path))
    connection.execute(create)
    connection.close()
    return held_writes(lambda: duckdb.connect(str(path)), stored, hold_steps, _insert_stored)


def count_statements(totals: dict[str, float]) -> None:
    """Time every execute/commit of the store's connections (wraps them as they are opened)."""

    class Timed:
        def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
            self._connection = connection

        def __getattr__(self, name: str):
            attribute = getattr(self._connection, name)
            if name not in ("execute", "commit"):
                return attribute

            def timed(*args, **kwargs):
                key = "commit" if name == "commit" else " ".join(str(args[0]).split())[:90]
                started = time.perf_counter()
                try:
                    return attribute(*args, **kwargs)
                finally:
                    totals[key] += time.perf_counter() - started
            return timed

    original = Store.__init__

    def init(self, connection, path) -> None:
        original(self, Timed(connection), path)

    store_module.Store.__init__ = init


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--step-rows", type=int, default=50_000)
    parser.add_argument("--hold-steps", type=int, default=3)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--no-book", action="store_true", help="look every step's addresses up in the file instead")
    options = parser.parse_args()

    rows = transfer_rows(options.rows)
    started = time.perf_counter()
    steps = batches(rows, options.step_rows)
    checks = time.perf_counter() - started
    totals: dict[str, float] = defaultdict(float)
    if options.statements:
        count_statements(totals)
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "write.duckdb"
        Store.open(written).close()  # a new file's migrations are not the writer's per-row cost
        totals.clear()
        writer = write_all(written, steps, options.hold_steps, book=not options.no_book)
        size = written.stat().st_size
        bare = floor(Path(folder) / "floor.duckdb", written, steps, options.hold_steps)
    count = rows.height
    print(f"{count:,} rows in {len(steps)} steps of ≈ {options.step_rows:,}, file closed every {options.hold_steps} steps, "
          f"addresses {'looked up in the file' if options.no_book else 'from the address book'}")
    print(f"  building the batches (their checks; a sync's decode thread): {checks:.2f} s "
          f"(includes slicing the generated rows)")
    print(f"  writer (Store.write_batch):   {writer:.2f} s = {writer / count * 1e6:.2f} µs a row, "
          f"file {size / count:.1f} B a row")
    print(f"  DuckDB floor (stored form):   {bare:.2f} s = {bare / count * 1e6:.2f} µs a row")
    if options.statements:
        for statement, seconds in sorted(totals.items(), key=lambda item: -item[1])[:15]:
            print(f"  {seconds:7.3f} s  {statement}")


if __name__ == "__main__":
    main()
