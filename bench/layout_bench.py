"""Bytes on disk per transfer for candidate storage layouts of the same rows.

    .venv/bin/python bench/layout_bench.py [--transfers 10000000] [--db /tmp/layout.duckdb]

Generates transfers with `scale_bench.generate` (same distribution: ≈ 1.3 transfers a transaction, 5M
Zipf-like users, 2,000 exchange wallets), then copies them into fresh files in each layout and prints the
file size per transfer. It answers "what would a normalized `transfers` buy?" before anyone rewrites the
sync for it; the layouts are measured, not used by the tracker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_bench import generated_file  # noqa: E402

# Each layout: tables built in a fresh file from the generated `src.transfers` (attached read-only).
ADDRESSES = "(SELECT from_address AS address FROM src.transfers UNION SELECT to_address FROM src.transfers)"
WALLETS_TEXT = f"CREATE TABLE wallets AS SELECT row_number() OVER () :: INTEGER AS wallet_id, address FROM {ADDRESSES}"
WALLETS_BLOB = ("CREATE TABLE wallets AS SELECT row_number() OVER () :: INTEGER AS wallet_id,"
                f" unhex(address[3:]) AS address FROM {ADDRESSES}")
TRANSACTIONS = ("CREATE TABLE transactions AS SELECT row_number() OVER (ORDER BY block_number, tx_hash) AS tx_id,"
                " chain, block_number, {hash} AS tx_hash FROM (SELECT DISTINCT chain, block_number, tx_hash FROM src.transfers)")
# transfers with ids; {key} turns a text hash or address into the form the tables above store
TRANSFERS_BY_ID = ("CREATE TABLE transfers AS SELECT x.tx_id, t.log_index, f.wallet_id AS from_id, w.wallet_id AS to_id,"
                   " t.amount_raw, t.supply_leg FROM src.transfers t"
                   " JOIN transactions x ON x.tx_hash = {key}(t.tx_hash)"
                   " JOIN wallets f ON f.address = {key}(t.from_address) JOIN wallets w ON w.address = {key}(t.to_address)"
                   " ORDER BY x.tx_id, t.log_index")
LAYOUTS: dict[str, list[str]] = {
    "today (migration 011: no index)": [
        "CREATE TABLE transfers AS SELECT * FROM src.transfers",
    ],
    "without amount (derived from amount_raw)": [
        "CREATE TABLE transfers AS SELECT * EXCLUDE (amount) FROM src.transfers",
    ],
    "+ wallets once (integer ids)": [
        WALLETS_TEXT,
        "CREATE TABLE transfers AS SELECT t.chain, t.token, t.block_number, t.block_time, t.tx_hash, t.log_index,"
        " f.wallet_id AS from_id, w.wallet_id AS to_id, t.amount_raw, t.supply_leg FROM src.transfers t"
        " JOIN wallets f ON f.address = t.from_address JOIN wallets w ON w.address = t.to_address"
        " ORDER BY t.block_number, t.tx_hash, t.log_index",
    ],
    "+ transactions once (hash as text)": [
        WALLETS_TEXT, TRANSACTIONS.format(hash="tx_hash"), TRANSFERS_BY_ID.format(key=""),
    ],
    "+ hashes and addresses as bytes (BLOB)": [
        WALLETS_BLOB, TRANSACTIONS.format(hash="unhex(tx_hash[3:])"), TRANSFERS_BY_ID.format(key="_bytes"),
    ],
}


def build(source: Path, target: Path, statements: list[str]) -> tuple[int, dict[str, float]]:
    """The layout's file size and bytes per transfer by table (from DuckDB's block accounting)."""
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as con:
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        con.execute("CREATE TEMP MACRO _bytes(hex) AS unhex(hex[3:])")  # '0x…' text -> its bytes
        for statement in statements:
            con.execute(statement)
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
        count = con.execute("SELECT count(*) FROM transfers").fetchall()[0][0]
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
    for number, (name, statements) in enumerate(LAYOUTS.items()):
        target = source.with_name(f"{source.stem}-layout{number}.duckdb")
        count, by_table = build(source, target, statements)
        size = target.stat().st_size
        parts = ", ".join(f"{table} {value:.1f}" for table, value in sorted(by_table.items()))
        print(f"{name:45s} {size / count:6.1f} bytes per transfer  ({parts})")
        target.unlink()


if __name__ == "__main__":
    main()
