"""The DuckDB store: migrations and all-or-nothing batches."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.support.helpers import all_contents, rows, run_cli
from tracker.errors import TrackerError
from tracker.store import Batch, Store, migrations, views

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
    return frame


def empty_supply():
    frame = pl.DataFrame(
        schema={
            "chain": pl.String, "token": pl.String, "block_number": pl.Int64, "tx_hash": pl.String,
            "log_index": pl.Int64, "kind": pl.String, "address": pl.String, "amount_raw": pl.Decimal(38, 0),
            "block_time": pl.Datetime("us", "UTC"),
        }
    )
    return frame


def blocks_table(numbers: list[int]):
    return pl.DataFrame(
        {"chain": ["ethereum"] * len(numbers), "block_number": numbers,
         "block_hash": ["0x%064x" % n for n in numbers], "block_time": [WHEN] * len(numbers)}
    )


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
    # The row of block 5 is deleted first, then the insert fails (block_time NULL): all of it rolls back.
    broken = transfer_table([(6, "0x%064x" % 2, 0, 1)]).with_columns(block_time=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    with Store.open(db) as store:
        with pytest.raises(duckdb.ConstraintException):
            store.write_batch(batch(1, 10, broken))
    assert all_contents(db) == before
    assert rows(db, "SELECT last_block FROM sync_state") == [(10,)]


def test_amounts_are_exact_at_the_extremes(tmp_path: Path) -> None:
    """amount = amount_raw × 10^-6 to the last unit, for transfers (the view) and supply events (stored)."""
    extremes = [0, 1, 999_999, 10**6, 2**64 - 1, 2**64, 10**38 - 1]
    transfers = transfer_table([(5, "0x%064x" % (index + 1), 0, raw) for index, raw in enumerate(extremes)])
    supply = empty_supply().vstack(transfers.select(
        "chain", "token", "block_number", "tx_hash", "log_index", kind=pl.lit("issue"), address=pl.lit(None, pl.String),
        amount_raw="amount_raw", block_time="block_time"))
    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.write_batch(Batch("ethereum", "0x" + "aa" * 20, 1, 10, "0x%064x" % 10, transfers, supply,
                                blocks_table([5, 10])))
    expected = ["0.000000", "0.000001", "0.999999", "1.000000", "18446744073709.551615", "18446744073709.551616",
                "99999999999999999999999999999999.999999"]
    for table in ("transfers", "supply_events"):
        found = rows(db, f"SELECT amount_raw, amount FROM {table} ORDER BY amount_raw")
        assert [raw for raw, _ in found] == [Decimal(v) for v in extremes]
        assert [str(amount) for _, amount in found] == expected


def test_a_log_listed_twice_in_one_batch_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.write_batch(batch(1, 10, transfer_table([(5, "0x%064x" % 1, 0, 7)])))
    before = all_contents(db)
    twice = transfer_table([(15, "0x%064x" % 9, 0, 1), (15, "0x%064x" % 9, 1, 1), (16, "0x%064x" % 9, 0, 2)])
    with Store.open(db) as store:
        with pytest.raises(TrackerError, match=r"returned log 0 of transaction 0x0+9 twice in blocks 11-20"):
            store.write_batch(batch(11, 20, twice))
        store.write_batch(batch(11, 20, transfer_table([(15, "0x%064x" % 9, 0, 1), (15, "0x%064x" % 9, 1, 1)])))
    assert all_contents(db) != before
    assert rows(db, "SELECT block_number, log_index FROM transfers ORDER BY 1, 2") == [(5, 0), (15, 0), (15, 1)]


def test_a_log_listed_twice_is_found_among_other_transactions() -> None:
    """Rows come in any order: the check finds a repeat in the sorted rows, whether it lands next to its twin
    (one block) or not (the same hash in two blocks)."""
    a, b, c = ("0x" + digit * 64 for digit in "a3f")
    within = transfer_table([(15, a, 3, 1), (15, b, 0, 1), (15, c, 7, 1), (15, a, 3, 2), (15, a, 4, 1)])
    with pytest.raises(TrackerError, match=rf"returned log 3 of transaction {a} twice in blocks 11-20"):
        batch(11, 20, within)
    across = transfer_table([(15, b, 0, 1), (15, a, 5, 1), (17, c, 1, 1), (18, a, 5, 1)])
    with pytest.raises(TrackerError, match=rf"returned log 5 of transaction {a} twice in blocks 11-20"):
        batch(11, 20, across)
    fine = batch(11, 20, transfer_table([(15, b, 0, 1), (15, a, 5, 1), (17, c, 1, 1), (18, a, 6, 1)]))
    assert fine.stored["log_index"].to_list() == [0, 5, 1, 6]  # by block, then hash (0x33… before 0xaa…), then index


def test_a_transaction_hash_that_would_not_read_back_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    good = "0x" + "ab" * 32
    with Store.open(db) as store:
        store.write_batch(batch(1, 10, transfer_table([(5, good, 0, 7)])))
    before = all_contents(db)
    for bad in ("0x" + "AB" * 32, "ab" * 32, "0x" + "ab" * 31 + "a", "0x" + "zz" * 32, "0x" + "ab" * 33):
        with Store.open(db) as store:
            with pytest.raises(TrackerError, match=r"^the ethereum source returned a malformed transaction hash "
                                                   rf"'{bad}' in blocks 11-20; nothing was written$"):
                store.write_batch(batch(11, 20, transfer_table([(15, good, 0, 1), (16, bad, 0, 2)])))
        assert all_contents(db) == before
    # Stored as 32 bytes, read back as the same text; addresses once each, by id.
    assert rows(db, "SELECT tx_hash, from_address, to_address, amount FROM transfers") == [
        (good, "0x" + "01" * 20, "0x" + "02" * 20, Decimal("0.000007"))]
    assert rows(db, "SELECT octet_length(tx_hash), from_id, to_id FROM transfer_logs") == [(32, 1, 2)]


def test_a_batch_is_checked_where_it_is_built_with_its_chains_hash_spelling() -> None:
    # Tron's hashes are 64 hex digits without 0x; an 0x-spelled one in a Tron batch would not read back as it came.
    def tron_batch(tx_hash: str) -> Batch:
        rows = transfer_table([(15, tx_hash, 0, 1)]).with_columns(chain=pl.lit("tron"))
        return Batch("tron", "T" + "a" * 33, 11, 20, "0x%064x" % 20, rows, empty_supply(),
                     blocks_table([20]).with_columns(chain=pl.lit("tron")))

    assert tron_batch("ab" * 32).transfers.height == 1
    for bad in ("0x" + "ab" * 32, "AB" * 32, "ab" * 31):
        with pytest.raises(TrackerError, match=rf"^the tron source returned a malformed transaction hash '{bad}'"):
            tron_batch(bad)
    with pytest.raises(TrackerError, match=r"returned log 0 of transaction 0x0+9 twice in blocks 11-20"):
        batch(11, 20, transfer_table([(15, "0x%064x" % 9, 0, 1), (16, "0x%064x" % 9, 0, 2)]))


def test_migrations_011_and_012_keep_every_row_and_column(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL)")
    for version, name, sql in migrations():
        if version < 11:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute(f"INSERT INTO transfers VALUES ('ethereum', 't', 9, '2026-03-01 00:00:00+00', '0x{'b' * 64}', 0,"
                " '0x1', '0x2', 123456789, 123.456789, NULL), ('ethereum', 't', 3, '2026-03-01 00:00:00+00',"
                f" '0x{'0a' * 32}', 4, '0x2', '0x0', 5, 0.000005, 'burn'), ('tron', 't', 3, '2026-03-01 00:00:00+00',"
                f" '{'c' * 64}', 0, 'TX', 'TY', 99999999999999999999999999999999999999, 99999999999999999999999999999999.999999,"
                " NULL)")
    con.execute("INSERT INTO supply_events VALUES ('tron', 't', 7, '2026-03-01 00:00:00+00', '0xc', 1, 'issue',"
                " NULL, 10, 0.00001)")
    con.close()
    columns_sql = ("SELECT table_name, column_name, data_type FROM information_schema.columns"
                   " WHERE table_name IN ('transfers', 'supply_events') ORDER BY 1, ordinal_position")
    before_columns, before_rows = rows(db, columns_sql), all_contents(db)
    with Store.open(db) as store:
        assert {11, 12} <= {v for (v,) in store.connection.execute("SELECT version FROM schema_migrations").fetchall()}
    assert rows(db, columns_sql) == before_columns  # `transfers` is a view now, with the table's columns
    after = all_contents(db)
    for table in ("transfers", "supply_events"):
        assert sorted(after[table]) == sorted(before_rows[table]) and after[table]
    assert rows(db, "SELECT chain, block_number FROM transfer_logs") == [("ethereum", 3), ("ethereum", 9), ("tron", 3)]
    assert rows(db, "SELECT address_id, address FROM addresses ORDER BY 1") == [
        (1, "0x0"), (2, "0x1"), (3, "0x2"), (4, "TX"), (5, "TY")]  # each address once
    assert rows(db, "SELECT table_type FROM information_schema.tables WHERE table_name = 'transfers'") == [("VIEW",)]
    assert rows(db, "SELECT count(*) FROM duckdb_constraints() WHERE table_name IN ('transfer_logs', 'supply_events')"
                    " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')") == [(0,)]


def test_logs_stored_twice_are_found_slice_by_slice(tmp_path: Path, monkeypatch) -> None:
    import tracker.analytics.reserves as anchors

    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.write_batch(batch(1, 100, transfer_table([(b, "0x%064x" % b, 0, b) for b in range(1, 101)])))
        con = store.connection
        anchors._refuse_logs_stored_twice(store, "ethereum", "0x" + "aa" * 20)  # nothing doubled yet
        con.execute("INSERT INTO transfer_logs SELECT * FROM transfer_logs WHERE block_number IN (7, 93)")
        con.execute("INSERT INTO supply_events VALUES ('ethereum', '0x" + "aa" * 20 + "', 140, now(), '0xs', 3,"
                    " 'issue', NULL, 1, 0.000001), ('ethereum', '0x" + "aa" * 20 + "', 140, now(), '0xs', 3, 'issue',"
                    " NULL, 1, 0.000001)")
        monkeypatch.setattr(anchors, "ROWS_PER_SLICE", 10)  # 11 slices over blocks 1-140
        with pytest.raises(TrackerError, match=r"^3 ethereum logs are stored more than once \(blocks 7-140\); "
                                               r"re-sync those blocks with --from-block 7 --to-block 140$"):
            anchors._refuse_logs_stored_twice(store, "ethereum", "0x" + "aa" * 20)
        anchors._refuse_logs_stored_twice(store, "tron", "0x" + "aa" * 20)  # another chain: nothing to find


def test_views_are_defined_once_and_reapplied_when_their_text_changes(tmp_path: Path, monkeypatch) -> None:
    import re

    import tracker.store as store_module

    created = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:VIEW|MACRO)\s+([a-z_]+)", re.I)
    # One home for each view and macro: its own file; no migration creates one.
    assert [version for version, _, sql in migrations() if created.search(sql)] == []
    bundled = views()
    assert [created.findall(sql) for _, sql in bundled] == [[name] for name, _ in bundled]
    db = tmp_path / "v.duckdb"
    with Store.open(db) as store:
        assert store.is_current()
        con = store.connection
        made = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        made |= {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() WHERE NOT internal"
                                           " AND function_type IN ('macro', 'table_macro')").fetchall()}
        assert made == {name for name, _ in bundled}
        assert store.apply_views() == []  # nothing changed: nothing re-applied

    # A view whose file changed: a reader sees the file is not current; the next writable open applies that one.
    edited = [(name, sql.replace("SELECT * FROM", "SELECT *, 1 AS marker FROM")
               if name == "exchange_flows_by_hour" else sql) for name, sql in bundled]
    monkeypatch.setattr(store_module, "views", lambda: edited)
    with Store.open(db, read_only=True) as reader:
        assert not reader.is_current()
    with Store.open(db) as store:
        assert store.is_current()
    assert "marker" in [r[0] for r in rows(db, "DESCRIBE exchange_flows_by_hour")]

    # A file from before views had their own files (created by migrations, no schema_views): all applied once.
    monkeypatch.undo()
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE schema_views")
    with Store.open(db) as store:
        assert store.is_current()
        columns = [r[0] for r in store.connection.execute("DESCRIBE exchange_flows_by_hour").fetchall()]
    assert "marker" not in columns


def test_memory_limit_setting_bounds_duckdb_and_refuses_nonsense(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    assert run_cli("--db", str(db), "labels", "list", "--chain", "tron").returncode == 0  # creates the file
    sql = "SELECT current_setting('memory_limit') AS limit_set"
    bounded = run_cli("--db", str(db), "query", sql, "--format", "csv", env={"TRACKER_MEMORY_LIMIT": "1GB"})
    assert bounded.returncode == 0, bounded.stderr
    assert bounded.stdout.splitlines()[1] == "953.6 MiB"  # DuckDB's reading of 1 GB (10^9 bytes)
    before = db.read_bytes()
    bad = run_cli("--db", str(db), "query", sql, env={"TRACKER_MEMORY_LIMIT": "lots"})
    assert bad.returncode != 0 and bad.stderr.strip() == "error: database.memory_limit 'lots' is not a size (e.g. 2GB, 500MB)"
    assert db.read_bytes() == before
