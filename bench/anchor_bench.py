"""What storing one sync's balance anchors costs on a file with the bundled labels loaded.

    .venv/bin/python bench/anchor_bench.py [--chain ethereum|tron] [--readings 5]

Every JSON-RPC sync that makes progress ends by reading balanceOf of every labeled wallet at its last block
and storing the readings (`reserves.store_reading`: balance_anchors, supply_anchors, the wallets' ids). A file
that has been opened for a report or `labels list` holds the bundled label set (≈ 1,000 Ethereum wallets,
≈ 150 Tron ones), so that is what a user's sync stores. This builds such a file from the schema template, loads
the bundled labels, registers USDT, then stores `--readings` readings (one per block, as successive syncs do)
with a distinct raw balance per wallet, and prints the wall time of each, then checks that the stored sums
are exactly the sums given (an anchor off by one unit fails the run). No node is involved: the readings are
made here, so only the storing is timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USDT = {"ethereum": "0xdac17f958d2ee523a2206206994597c13d831ec7", "tron": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", choices=sorted(USDT), default="ethereum")
    parser.add_argument("--readings", type=int, default=5)
    options = parser.parse_args()

    from tracker import settings
    from tracker.analytics import labels, reserves
    from tracker.store import Store

    settings.configure(None)
    token = USDT[options.chain]
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "anchors.duckdb")
        labels.ensure_bundled(store)
        store.record_token(options.chain, token, "USDT", 6)
        wallets = reserves.labeled_addresses(store, options.chain)
        seconds, raw_total = [], 0
        for reading_number in range(options.readings):
            balances = {wallet: 10**12 * (reading_number + 1) + index for index, wallet in enumerate(wallets)}
            reading = reserves.Reading(block=1_000 + reading_number, total_supply=10**15, owner=None, balances=balances)
            started = time.perf_counter()
            reserves.store_reading(store, options.chain, token, reading)
            seconds.append(time.perf_counter() - started)
            raw_total += sum(balances.values())
        stored_raw, stored_units, rows = store.connection.execute(
            "SELECT sum(balance_raw), sum(balance), count(*) FROM balance_anchors").fetchall()[0]
        store.close()
    if rows != len(wallets) * options.readings or stored_raw != raw_total or stored_units != reserves.units(raw_total):
        raise SystemExit(f"stored anchors differ: {rows} rows, raw {stored_raw} (expected {raw_total}), {stored_units}")
    print(f"{options.chain}: {len(wallets):,} labeled wallets (the bundled set), {options.readings} readings stored, "
          f"exact sums checked")
    print("store_reading per sync: " + ", ".join(f"{s * 1000:.1f} ms" for s in seconds)
          + f" (median {statistics.median(seconds) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
