"""The DuckDB store: migrations and all-or-nothing batches."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.helpers import all_contents, rows
from tracker.decode import with_units
from tracker.store import Batch, Store, migrations

WHEN = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def transfer_table(entries: list[tuple[int, str, int, int]]):
    frame = pl.DataFrame(
        {
            "chain": ["ethereum"] * len(entries),
            "token": ["0x" + "aa" * 20] * len(entries),
            "block_number": [e[0] for e in entries],
            "tx_hash": [e[1] for e in entries],
            "log_index": [e[2] for e in entries],
            "from_address": ["0x" + "01" * 20] * len(entries),
            "to_address": ["0x" + "02" * 20] * len(entries),
            "amount_raw": pl.Series([e[3] for e in entries], dtype=pl.Int128).cast(pl.Decimal(38, 0)),
            "block_time": [WHEN] * len(entries),
        }
    )
    return with_units(frame.to_arrow(), 6)


def empty_supply():
    frame = pl.DataFrame(
        schema={
            "chain": pl.String, "token": pl.String, "block_number": pl.Int64, "tx_hash": pl.String,
            "log_index": pl.Int64, "kind": pl.String, "address": pl.String, "amount_raw": pl.Decimal(38, 0),
            "block_time": pl.Datetime("us", "UTC"),
        }
    )
    return with_units(frame.to_arrow(), 6)


def blocks_table(numbers: list[int]):
    return pl.DataFrame(
        {"chain": ["ethereum"] * len(numbers), "block_number": numbers,
         "block_hash": ["0x%064x" % n for n in numbers], "block_time": [WHEN] * len(numbers)}
    ).to_arrow()


def batch(low: int, high: int, transfers) -> Batch:
    return Batch("ethereum", "0x" + "aa" * 20, low, high, "0x%064x" % high, transfers, empty_supply(), blocks_table([high]))


def test_migrations_are_numbered_recorded_and_run_once(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    bundled = migrations()
    assert [version for version, _, _ in bundled] == list(range(1, len(bundled) + 1))
    with Store.open(db) as store:
        assert store.migrate() == []  # already applied by open()
    assert rows(db, "SELECT version, name FROM schema_migrations") == [(v, n) for v, n, _ in bundled]
    columns = dict(rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'transfers'"))
    assert columns["amount_raw"] == "DECIMAL(38,0)" and columns["amount"] == "DECIMAL(38,6)"
    assert columns["block_time"] == "TIMESTAMP WITH TIME ZONE"


def test_batch_replaces_its_range_and_records_state(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.write_batch(batch(1, 10, transfer_table([(5, "0x%064x" % 1, 0, 1_500_000), (7, "0x%064x" % 2, 3, 1)])))
        store.write_batch(batch(1, 10, transfer_table([(5, "0x%064x" % 1, 0, 1_500_000)])))
        store.write_batch(batch(21, 30, transfer_table([(25, "0x%064x" % 3, 0, 2)])))
        assert store.sync_ranges("ethereum", "0x" + "aa" * 20) == [(1, 10), (21, 30)]
        store.write_batch(batch(11, 20, transfer_table([])))
        assert store.sync_ranges("ethereum", "0x" + "aa" * 20) == [(1, 30)]
        state = store.sync_state("ethereum", "0x" + "aa" * 20)
        assert (state.last_block, state.last_block_hash) == (30, "0x%064x" % 30)
    assert rows(db, "SELECT block_number, amount FROM transfers ORDER BY 1") == [(5, Decimal("1.500000")), (25, Decimal("0.000002"))]


def test_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.write_batch(batch(1, 10, transfer_table([(5, "0x%064x" % 1, 0, 7)])))
    before = all_contents(db)
    duplicate = transfer_table([(15, "0x%064x" % 9, 0, 1), (16, "0x%064x" % 9, 0, 2)])  # same (tx, log) twice
    with Store.open(db) as store:
        with pytest.raises(duckdb.ConstraintException):
            store.write_batch(batch(11, 20, duplicate))
    assert all_contents(db) == before
    assert rows(db, "SELECT last_block FROM sync_state") == [(10,)]
