"""A user's incremental `tracker sync ethereum`: a few new blocks into a file that holds the bundled labels.

    .venv/bin/python bench/incremental_bench.py [--logs 110000] [--tail-blocks 2] [--node-delay 0.05] [--rounds 5]

The paired bench (`sync_bench.py`) syncs a whole chain into a new file, whose anchors read one wallet. A user's
cron sync is the other case: a file synced before, opened since by a report or `labels list` (so it holds the
bundled labels, ≈ 1,000 Ethereum wallets), and a few new blocks. This emits `--logs` Transfer logs on anvil
(10,000 a block, as sync_bench does), syncs all but the last `--tail-blocks` blocks into a file and runs
`labels list` on it (not timed), then, `--rounds` times, syncs the tail into a fresh copy of that file and
prints the whole process's wall time and its summary lines. `--node-delay S` puts a loopback proxy in front of
the node that holds every request S seconds before forwarding it (a distant node's round trip). `--file-addresses N`
adds N made-up addresses to the prepared file (ids after its own, as syncs give them): the file of a user who has
synced months, whose addresses a sync's writer reads into memory or looks up per write.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sync_bench  # noqa: E402
from sync_bench import START_TIME, Run, compile_tracker, emit  # noqa: E402

from tests.support.chain import Anvil, TokenChain, compile_token  # noqa: E402

_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


def _read_message(connection: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    """One HTTP/1.1 message (head and Content-Length body) and what followed it; None when the peer closed."""
    while b"\r\n\r\n" not in pending:
        chunk = connection.recv(1 << 20)
        if not chunk:
            return None, b""
        pending += chunk
    head, rest = pending.split(b"\r\n\r\n", 1)
    found = _LENGTH.search(head)
    length = int(found.group(1)) if found else 0
    while len(rest) < length:
        chunk = connection.recv(1 << 20)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


class DelayingProxy:
    """Forwards each request on a client's connection to the node after `delay` seconds, one upstream
    connection per client connection (the node's answers carry Content-Length)."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream_port, self.delay = upstream_port, delay
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        from_client = from_node = b""
        try:
            while True:
                request, from_client = _read_message(client, from_client)
                if request is None:
                    return
                time.sleep(self.delay)
                upstream.sendall(request)
                answer, from_node = _read_message(upstream, from_node)
                if answer is None:
                    return
                client.sendall(answer)
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=110_000)
    parser.add_argument("--tail-blocks", type=int, default=2)
    parser.add_argument("--node-delay", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--file-addresses", type=int, default=0)
    options = parser.parse_args()

    compile_tracker()
    anvil = Anvil(START_TIME)
    sync_bench.NODE_PID = anvil.process.pid  # each run's line gives the node's CPU meanwhile
    proxy = None
    try:
        token = TokenChain(anvil, compile_token(), 10**18, layout="ethereum")
        emit(token, options.logs, 10_000)
        head = token.head()
        url = anvil.url
        if options.node_delay > 0:
            proxy = DelayingProxy(int(anvil.url.rsplit(":", 1)[1]), options.node_delay)
            url = proxy.url
        with tempfile.TemporaryDirectory() as folder:
            prepared = Path(folder) / "prepared.duckdb"
            tracker = [sys.executable, "-m", "tracker", "--db"]
            for step in (["sync", "ethereum", "--rpc", anvil.url, "--token", token.address, "--from-block", "0",
                          "--to-block", str(head - options.tail_blocks), "--confirmations", "0", "-q"],
                         ["labels", "list", "--chain", "ethereum", "--format", "csv"]):
                # Not timed, and `labels list` prints more than a pipe holds: read as it runs, not after (Run).
                done = subprocess.run([*tracker, str(prepared), *step], cwd=ROOT, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"preparing the file failed: {done.stderr.strip()}")
            wallets = len(done.stdout.splitlines()) - 1
            if options.file_addresses:
                import duckdb

                with duckdb.connect(str(prepared)) as connection:
                    connection.execute(
                        "INSERT INTO addresses SELECT CAST(first + i AS INTEGER), printf('0x%040x', 167772160 + i)"
                        " FROM (SELECT max(address_id) AS first FROM addresses), range(1, $n + 1) t(i)",
                        {"n": options.file_addresses})
            print(f"file: blocks 0-{head - options.tail_blocks:,} synced, {wallets:,} bundled Ethereum labels loaded, "
                  f"{options.file_addresses:,} addresses added;"
                  f" node {'behind a proxy adding ' + format(options.node_delay, 'g') + ' s a request' if proxy else 'local'}")
            seconds = []
            for round_number in range(1, options.rounds + 1):
                copy = Path(folder) / f"round{round_number}.duckdb"
                shutil.copyfile(prepared, copy)
                run = Run([*tracker, str(copy), "sync", "ethereum", "--rpc", url, "--token", token.address,
                           "--to-block", str(head), "--confirmations", "0", "-q"], cwd=ROOT)
                if run.failed:
                    raise SystemExit(f"tracker failed: {run.err}")
                seconds.append(run.seconds)
                print(f"  round {round_number}: {run.seconds:.2f}s ({run.cpu})")
                if round_number == 1:
                    print("    " + "\n    ".join(run.out.splitlines()))
            print(f"incremental sync of {options.tail_blocks} blocks: median {statistics.median(seconds):.2f}s "
                  f"({', '.join(f'{s:.2f}' for s in seconds)})")
    finally:
        if proxy is not None:
            proxy.close()
        anvil.stop()


if __name__ == "__main__":
    main()
