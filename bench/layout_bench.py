"""Bytes on disk per transfer for candidate storage layouts of the same rows.

    [LAYOUTS=name-prefix] .venv/bin/python bench/layout_bench.py [--transfers 10000000] [--days 730] [--db /tmp/layout.duckdb] [--keep]

Generates transfers with `scale_bench.generate` (same distribution: ≈ 1.3 transfers a transaction, 5M
Zipf-like users, 2,000 exchange wallets), then copies them into fresh files in each layout and prints the
file size per transfer. 10M transfers over 730 days are ≈ 2 a block (one transaction each); `--days 73`
gives 100M-over-two-years' density (≈ 19 a block), where layouts compare as they would at scale. It answers "what would another layout buy?" before anyone rewrites the sync for
it; only the first two are layouts the tracker has used (the others are candidates, measured).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_bench import generated_file  # noqa: E402

# Each layout: tables built in a fresh file from the generated file `src` (attached read-only); the table
# named `transfers` holds one row per transfer (checked: a join that matched twice would flatter the size).
LAYOUTS: dict[str, list[str]] = {
    "migration 011: text columns, amount stored": [
        "CREATE TABLE transfers AS SELECT * FROM src.transfers ORDER BY chain, block_number, tx_hash, log_index",
    ],
    "migration 012: addresses once, hash bytes": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TABLE transfers AS SELECT * FROM src.transfer_logs ORDER BY chain, block_number, tx_hash, log_index",
    ],
    "012 with the hash as text": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TABLE transfers AS SELECT * REPLACE ('0x' || lower(hex(tx_hash)) AS tx_hash) FROM src.transfer_logs"
        " ORDER BY chain, block_number, tx_hash, log_index",
    ],
    "012 + transactions once (ids)": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TABLE transactions AS SELECT row_number() OVER (ORDER BY chain, block_number, tx_hash) AS tx_id,"
        " chain, token, block_number, block_time, tx_hash"
        " FROM (SELECT DISTINCT chain, token, block_number, block_time, tx_hash FROM src.transfer_logs)",
        "CREATE TABLE transfers AS SELECT x.tx_id, t.log_index, t.from_id, t.to_id, t.amount_raw, t.supply_leg"
        " FROM src.transfer_logs t JOIN transactions x USING (chain, token, block_number, tx_hash)"
        " ORDER BY x.tx_id, t.log_index",
    ],
    "012 + chain and token as ENUM": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TYPE chain_name AS ENUM (SELECT DISTINCT chain FROM src.transfer_logs)",
        "CREATE TYPE token_name AS ENUM (SELECT DISTINCT token FROM src.transfer_logs)",
        "CREATE TABLE transfers AS SELECT * REPLACE (CAST(chain AS chain_name) AS chain,"
        " CAST(token AS token_name) AS token) FROM src.transfer_logs ORDER BY chain, block_number, tx_hash, log_index",
    ],
    "012 + amounts from 2^40 raw in a second column": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TABLE transfers AS SELECT * EXCLUDE (amount_raw),"
        " CASE WHEN amount_raw < 1099511627776 THEN CAST(amount_raw AS BIGINT) END AS amount_small,"
        " CASE WHEN amount_raw >= 1099511627776 THEN amount_raw END AS amount_large"
        " FROM src.transfer_logs ORDER BY chain, block_number, tx_hash, log_index",
    ],
    "all three: transactions once, ENUM, amounts split": [
        "CREATE TABLE addresses AS SELECT * FROM src.addresses",
        "CREATE TYPE chain_name AS ENUM (SELECT DISTINCT chain FROM src.transfer_logs)",
        "CREATE TYPE token_name AS ENUM (SELECT DISTINCT token FROM src.transfer_logs)",
        "CREATE TABLE transactions AS SELECT row_number() OVER (ORDER BY chain, block_number, tx_hash) AS tx_id,"
        " CAST(chain AS chain_name) AS chain, CAST(token AS token_name) AS token, block_number, block_time, tx_hash"
        " FROM (SELECT DISTINCT chain, token, block_number, block_time, tx_hash FROM src.transfer_logs)",
        "CREATE TABLE transfers AS SELECT x.tx_id, t.log_index, t.from_id, t.to_id, t.supply_leg,"
        " CASE WHEN t.amount_raw < 1099511627776 THEN CAST(t.amount_raw AS BIGINT) END AS amount_small,"
        " CASE WHEN t.amount_raw >= 1099511627776 THEN t.amount_raw END AS amount_large"
        " FROM src.transfer_logs t JOIN transactions x ON x.chain = t.chain AND x.token = t.token"
        " AND x.block_number = t.block_number AND x.tx_hash = t.tx_hash ORDER BY x.tx_id, t.log_index",
    ],
}


def build(source: Path, target: Path, statements: list[str]) -> tuple[int, dict[str, float]]:
    """The layout's transfer count and bytes per transfer by table (from DuckDB's block accounting)."""
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        for statement in statements:
            con.execute(statement)
        expected = con.execute("SELECT count(*) FROM src.transfer_logs").fetchall()[0][0]
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
        count = con.execute("SELECT count(*) FROM transfers").fetchall()[0][0]
        if count != expected:
            raise SystemExit(f"layout holds {count:,} transfers, not {expected:,}")
        by_table: dict[str, float] = {}
        tables = [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in tables:
            # Distinct storage blocks a table's segments sit in, at 256 KiB each.
            used = con.execute(f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}')"
                               " WHERE persistent AND block_id >= 0").fetchall()[0][0]
            by_table[table] = used * 262_144 / count
    return count, by_table


def main() -> None:
    source = generated_file(__doc__.splitlines()[0], 10_000_000, "/tmp/layout.duckdb")
    only = [name for name in LAYOUTS if name.startswith(os.environ.get("LAYOUTS", ""))]
    for number, (name, statements) in enumerate((name, LAYOUTS[name]) for name in only):
        target = source.with_name(f"{source.stem}-layout{number}.duckdb")
        count, by_table = build(source, target, statements)
        size = target.stat().st_size
        parts = ", ".join(f"{table} {value:.1f}" for table, value in sorted(by_table.items()))
        print(f"{name:45s} {size / count:6.1f} bytes per transfer  ({parts})")
        target.unlink()


if __name__ == "__main__":
    main()
