"""The tracker's stored transfers against the same rows as Parquet (ZSTD), on realistic generated rows.

    .venv/bin/python bench/parquet_bench.py [--transfers 5000000] [--days 73] [--db /tmp/parquet_bench.duckdb] [--keep]

Generates rows with bench/scale_bench.py's generator (random addresses, ≈ 1.3 transfers a transaction),
copies `transfer_logs` and the addresses those rows use into a fresh DuckDB file, writes the same rows
(hash and addresses as bytes, amount as a decimal, block, time, log index, chain, token; sorted by block
and log index) as Parquet with ZSTD, and prints bytes per transfer of each.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench  # noqa: E402


def main() -> None:
    db = scale_bench.generated_file(__doc__, 5_000_000, "/tmp/parquet_bench.duckdb")
    con = duckdb.connect()
    con.execute(f"ATTACH '{db}' AS s (READ_ONLY)")
    with tempfile.TemporaryDirectory() as folder:
        copy, parquet = Path(folder) / "transfers.duckdb", Path(folder) / "transfers.parquet"
        con.execute(f"ATTACH '{copy}' AS c")
        con.execute("CREATE TABLE c.addresses AS SELECT * FROM s.addresses WHERE address_id IN"
                    " (SELECT from_id FROM s.transfer_logs UNION SELECT to_id FROM s.transfer_logs)")
        con.execute("CREATE TABLE c.transfer_logs AS SELECT * FROM s.transfer_logs")
        con.execute("DETACH c")
        rows = con.execute("SELECT count(*) FROM s.transfer_logs").fetchall()[0][0]
        frame = pl.from_arrow(con.sql(
            "SELECT t.chain, t.token, t.block_number, t.block_time, t.tx_hash, t.log_index,"
            " unhex(f.address[3:]) AS from_address, unhex(r.address[3:]) AS to_address, t.amount_raw"
            " FROM s.transfer_logs t JOIN s.addresses f ON f.address_id = t.from_id"
            " JOIN s.addresses r ON r.address_id = t.to_id ORDER BY t.block_number, t.log_index").to_arrow_table())
        frame.write_parquet(parquet, compression="zstd")
        ours, theirs = copy.stat().st_size, parquet.stat().st_size
    print(f"{rows:,} transfers: whole generated file {db.stat().st_size / rows:.1f} B/transfer; transfer_logs and the "
          f"addresses they use {ours / rows:.1f} B; the same rows as Parquet ZSTD {theirs / rows:.1f} B "
          f"-> {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
