"""Where one `tracker sync ethereum|tron` spends its time: a per-stage table.

    .venv/bin/python bench/sync_stages.py [--chain ethereum|tron] [--logs 137030] [--chunk-size 5]

Emits Transfer logs on a fresh anvil chain (as bench/sync_bench.py does), then:
  - times the imports of the sync path in a fresh interpreter (`tracker.cli` and the ingest modules a
    sync loads, ten runs, median);
  - runs the real `tracker sync` command in this process with timers wrapped around the pipeline's
    functions (nothing else changes), and prints each stage's wall seconds and µs per log, with the
    thread it runs on. Stages on different threads overlap: the slowest thread bounds the wall time.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync_bench import START_TIME, emit  # noqa: E402

from tests.support.chain import Anvil, TokenChain, compile_token  # noqa: E402

TOTALS: dict[tuple[str, str], float] = defaultdict(float)
_local = threading.local()


def timed(owner: object, name: str, stage: str) -> None:
    """Wrap owner.name so its wall time (less that of timed calls inside it) adds to `stage`."""
    original = getattr(owner, name, None)
    if original is None:
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(0.0)
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent = time.perf_counter() - started
            inner = stack.pop()
            TOTALS[(threading.current_thread().name, stage)] += spent - inner
            if stack:
                stack[-1] += spent

    setattr(owner, name, wrapper)


store_transaction = None


def instrument() -> None:
    global store_transaction
    import tracker.http as http
    import tracker.ingest.evm.decode as decode
    import tracker.ingest.evm.native as native
    import tracker.ingest.evm.node as node
    import tracker.ingest.sync as sync
    import tracker.store as store

    timed(http.HttpClient, "request", "HTTP request and body")
    timed(native, "scan", "native scan into validated columns")
    timed(decode, "parse_logs_response", "JSON parse into columns (polars path)")  # the sync imports it where used
    timed(decode, "decode_logs", "validation and decode (polars path)")
    timed(decode, "decode_answer", "decode into rows")
    timed(node.Node, "headers_frame", "block headers (batched RPC)")
    timed(sync, "_timestamped_batch", "timestamps join")
    timed(store.Store, "open", "open file, migrations check")
    timed(store.Store, "close", "close file (checkpoint)")
    timed(store, "_refuse_malformed_hashes", "batch checks: hash spelling")
    timed(store, "_refuse_repeated_logs", "batch checks: logs listed twice")
    timed(store, "stored_transfers", "stored form: hash as bytes, sorted")
    timed(store, "intern_addresses", "write: address ids (looked up in the file)")
    timed(store, "_given_ids", "write: address ids (address book, its own thread)")
    timed(store.AddressBook, "finish_ids", "write: waiting for the ids, new addresses inserted")
    timed(store.AddressBook, "_catch_up", "write: address book checked against the file")
    timed(store, "insert_stored_transfers", "write: insert transfer rows")
    timed(store.Store, "_replace_range", "write: delete range, token, supply, blocks, state")
    timed(store.Store, "write_batch", "write: register the frames")
    store_transaction = store.transaction
    store.transaction = timed_transaction
    timed(sync, "anchor_after", "balance anchors after the sync")


class _TimedCommit:
    """Stands in for a connection inside store.transaction, so its commit is timed apart (what the
    transaction's body runs goes to the connection itself)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def __getattr__(self, name: str):
        return getattr(self.connection, name)

    def begin(self) -> None:
        self.connection.begin()

    def rollback(self) -> None:
        self.connection.rollback()

    def commit(self) -> None:
        self.connection.commit()


timed(_TimedCommit, "commit", "write: commit")


def timed_transaction(connection):
    return store_transaction(_TimedCommit(connection))


def import_seconds() -> float:
    runs = []
    for _ in range(10):
        done = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import tracker.cli, tracker.ingest.sources; "
                               "print(time.perf_counter() - t)"], capture_output=True, text=True, cwd=ROOT, check=True)
        runs.append(float(done.stdout))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", choices=["ethereum", "tron"], default="ethereum")
    parser.add_argument("--logs", type=int, default=137_030)
    parser.add_argument("--per-tx", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=5)
    options = parser.parse_args()

    anvil = Anvil(START_TIME)
    try:
        token = TokenChain(anvil, compile_token(), 10**18, layout=options.chain)
        emit(token, options.logs, options.per_tx)
        imports = import_seconds()
        started = time.perf_counter()
        instrument()
        from tracker.cli import main as tracker_main

        with tempfile.TemporaryDirectory() as folder:
            sys.argv = ["tracker", "--db", str(Path(folder) / "bench.duckdb"), "sync", options.chain, "--rpc",
                        anvil.url, "--token", token.address, "--from-block", "0", "--confirmations", "0",
                        "--chunk-size", str(options.chunk_size), "--quiet"]
            try:
                tracker_main()
            except SystemExit as done:
                if done.code:
                    raise
        wall = time.perf_counter() - started
    finally:
        anvil.stop()

    logs = options.logs
    print(f"{logs:,} logs, {options.chain}; imports of the sync path (fresh interpreter, median of 10): "
          f"{imports:.2f} s; the command after imports: {wall:.2f} s wall")
    print("| thread | stage | seconds | µs/log |")
    print("|---|---|---|---|")
    for (thread, stage), seconds in sorted(TOTALS.items(), key=lambda item: (item[0][0], -item[1])):
        print(f"| {thread} | {stage} | {seconds:.3f} | {seconds / logs * 1e6:.1f} |")
    for thread in sorted({thread for thread, _ in TOTALS}):
        busy = sum(seconds for (name, _), seconds in TOTALS.items() if name == thread)
        print(f"  {thread}: {busy:.2f} s in timed stages")


if __name__ == "__main__":
    main()
