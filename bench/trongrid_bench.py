"""TronGrid path: page decoding rows/s from recorded pages, and a full sync from a local server.

    .venv/bin/python bench/trongrid_bench.py [--blocks 3000] [--per-block 70]

Builds events in TronGrid's JSON shape with the tests' TronGrid stand-in
(≈ 70 USDT transfers a block, like mainnet Tron), records them as 200-row
pages, then measures:
  - decoding alone: parse_events_page + decode_events + split_rows over every page,
  - `sync_trongrid` end to end against the stand-in on loopback (HTTP, paging, DuckDB).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.support.trongrid_server import USDT_B58, Chain, TronGridServer  # noqa: E402
from tracker.chains import TRON  # noqa: E402
from tracker.ingest.sync import SyncOptions  # noqa: E402
from tracker.ingest.tron.decode import (  # noqa: E402
    EventWindow,
    decode_events,
    parse_events_page,
    split_rows,
)
from tracker.ingest.tron.trongrid import sync_trongrid  # noqa: E402
from tracker.tokens import USDT_TRON_LAYOUT  # noqa: E402


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=3000)
    parser.add_argument("--per-block", type=int, default=70)
    options = parser.parse_args()

    chain = Chain().build(options.blocks, busy_blocks={i: options.per_block for i in range(options.blocks)})
    transfers = [r for r in chain.records if r["event_name"] == "Transfer"]
    pages = [
        json.dumps({"data": transfers[i : i + 200], "success": True, "meta": {"at": 0, "page_size": 200}}).encode()
        for i in range(0, len(transfers), 200)
    ]
    window = EventWindow(USDT_B58, USDT_TRON_LAYOUT.event("transfer"), chain.first_block, chain.first_block + options.blocks)
    print(f"recorded pages: {len(pages):,} pages, {len(transfers):,} Transfer rows ({sum(map(len, pages)) / 1e6:,.0f} MB)")
    # As the sync does it: parse each page, decode a window's records together (here 30 pages, 6,000 rows).
    started = time.perf_counter()
    rows = 0
    for first in range(0, len(pages), 30):
        records = [record for raw in pages[first : first + 30] for record in parse_events_page(raw).records]
        rows += split_rows(decode_events(records, window), USDT_TRON_LAYOUT, TRON.format.address)[0].height
    seconds = time.perf_counter() - started
    print(f"TronGrid page decoding:        {rows / seconds:>10,.0f} rows/s  ({seconds:.2f}s, 30 pages per decode)")
    started = time.perf_counter()
    for raw in pages:
        split_rows(decode_events(parse_events_page(raw).records, window), USDT_TRON_LAYOUT, TRON.format.address)
    seconds = time.perf_counter() - started
    print(f"  one page per decode:         {rows / seconds:>10,.0f} rows/s  ({seconds:.2f}s)")

    server = TronGridServer(chain, solidified=chain.first_block + options.blocks - 1)
    http = HTTPServer(host="127.0.0.1", port=0)
    http.expect_request("/walletsolidity/getnowblock").respond_with_handler(server.handler)
    http.expect_request("/walletsolidity/getblockbynum").respond_with_handler(server.handler)
    http.expect_request(f"/v1/contracts/{USDT_B58}/events").respond_with_handler(server.handler)
    http.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sync_options = SyncOptions(
                rpc_url=http.url_for("/").rstrip("/"), token=USDT_B58, from_block=chain.first_block,
                confirmations=None, chunk_size=1200, source="trongrid",
            )
            summary = sync_trongrid(Path(folder) / "bench.duckdb", sync_options)
        print(f"sync tron --source trongrid:   {summary.logs / summary.seconds:>10,.0f} rows/s  "
              f"({summary.logs:,} rows, {summary.requests:,} pages, {summary.seconds:.2f}s, local server)")
    finally:
        http.stop()


if __name__ == "__main__":
    main()
