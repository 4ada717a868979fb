"""End-to-end `tracker sync ethereum|tron` throughput on a local anvil node.

    .venv/bin/python bench/sync_bench.py [--chain ethereum|tron] [--logs 200000] [--per-tx 10000]
                                         [--chunk-size 5] [--cryo-python PATH]

With --chain tron the same node serves the Tron JSON-RPC path (anvil speaks the
protocol java-tron implements): addresses are converted to base58 on the way in.

Emits Transfer logs with TestTether.spray (many logs per transaction, one
transaction a block), then measures, on the same node and block range:
  - the node's own eth_getLogs serving rate (raw HTTP, nothing decoded),
  - `tracker sync ethereum` end to end into a fresh DuckDB file (logs/s, peak RSS),
  - web3.py's `contract.events.Transfer().process_log` over the same logs (decode only),
  - cryo's `collect('erc20_transfers')` if a Python with PyPI `cryo` is given or importable: the rate inside
    collect() (what cryo itself spends) and the rate of its whole process (start-up and imports too, as the
    tracker's end-to-end figure is measured).
Prints one line per figure; paste them into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.chain import Anvil, TokenChain, compile_token  # noqa: E402

START_TIME = 1_772_323_200


def emit(token: TokenChain, logs: int, per_tx: int) -> float:
    started = time.perf_counter()
    emitted = 0
    while emitted < logs:
        count = min(per_tx, logs - emitted)
        token.spray(count, base=0xB0B0000 + emitted, wallets=5_000)
        emitted += count
    return time.perf_counter() - started


def node_serving_rate(url: str, address: str, head: int, chunk: int) -> tuple[float, int]:
    session = requests.Session()
    started = time.perf_counter()
    total_bytes = 0
    for low in range(0, head + 1, chunk):
        high = min(head, low + chunk - 1)
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                "params": [{"address": address, "fromBlock": hex(low), "toBlock": hex(high)}]}
        total_bytes += len(session.post(url, json=body, timeout=600).content)
    return time.perf_counter() - started, total_bytes


def run_tracker(chain: str, url: str, address: str, db: Path, chunk: int) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of the tracker process alone, and its summary line."""
    args = [sys.executable, "-m", "tracker", "--db", str(db), "sync", chain, "--rpc", url, "--token", address,
            "--from-block", "0", "--confirmations", "0", "--chunk-size", str(chunk), "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out = process.stdout.read().decode().strip()
    err = process.stderr.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tracker failed: {err}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


def web3_process_log(token: TokenChain, head: int, chunk: int) -> tuple[float, int]:
    event = token.contract.events.Transfer()
    logs = []
    for low in range(0, head + 1, chunk):
        logs.extend(token.w3.eth.get_logs({"address": token.contract.address, "fromBlock": low,
                                           "toBlock": min(head, low + chunk - 1)}))
    started = time.perf_counter()
    decoded = [event.process_log(log) for log in logs if len(log["topics"]) == 3]
    return time.perf_counter() - started, len(decoded)


CRYO_SCRIPT = """
import os, sys, tempfile, time, cryo
url, address, head = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
frame = cryo.collect("erc20_transfers", blocks=[f"0:{head + 1}"], rpc=url, contract=[address], output_format="polars")
seconds = time.perf_counter() - started
started = time.perf_counter()
with tempfile.TemporaryDirectory() as folder:  # the same rows as cryo's own Parquet output, ZSTD
    path = os.path.join(folder, "erc20_transfers.parquet")
    frame.write_parquet(path, compression="zstd")
    print(seconds, len(frame), os.path.getsize(path), time.perf_counter() - started)
"""


def cryo_collect(python: str, url: str, address: str, head: int) -> tuple[float, float, int, int] | str:
    """Seconds inside collect(), seconds of the whole process (start-up and imports too, not the Parquet
    file written after), rows, and the bytes of those rows as Parquet (ZSTD)."""
    started = time.perf_counter()
    done = subprocess.run([python, "-c", CRYO_SCRIPT, url, address, str(head)], capture_output=True, text=True)
    whole = time.perf_counter() - started
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return f"cryo unavailable ({last[:120]})"
    seconds, rows, parquet_bytes, parquet_seconds = done.stdout.split()
    return float(seconds), whole - float(parquet_seconds), int(rows), int(parquet_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", choices=["ethereum", "tron"], default="ethereum")
    parser.add_argument("--logs", type=int, default=200_000)
    parser.add_argument("--per-tx", type=int, default=10_000)
    # 10k logs a block here: 5 blocks = 50k logs per request, the tracker's own per-request target.
    parser.add_argument("--chunk-size", type=int, default=5)
    parser.add_argument("--cryo-python", default=sys.executable, help="a Python that has PyPI cryo installed")
    parser.add_argument("--skip-web3", action="store_true")
    options = parser.parse_args()

    anvil = Anvil(START_TIME)
    try:
        token = TokenChain(anvil, compile_token(), 10**18, layout=options.chain)
        emit_seconds = emit(token, options.logs, options.per_tx)
        head = token.head()
        print(f"emitted {options.logs:,} Transfer logs in {head} blocks ({emit_seconds:.1f}s)")

        node_seconds, body_bytes = node_serving_rate(anvil.url, token.address, head, options.chunk_size)
        node_rate = options.logs / node_seconds
        print(f"node eth_getLogs alone:       {node_rate:>10,.0f} logs/s  ({body_bytes / 1e6:,.0f} MB of JSON)")

        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.duckdb"
            seconds, cpu_seconds, rss_kib, summary = run_tracker(
                options.chain, anvil.url, token.address, db, options.chunk_size
            )
            ours = options.logs / seconds
            size = db.stat().st_size
        print(f"tracker sync {options.chain} end to end: {ours:>10,.0f} logs/s  ({seconds:.2f}s wall incl. start-up, "
              f"peak RSS {rss_kib / 1024:,.0f} MiB, {size / options.logs:.0f} bytes/transfer on disk)")
        print(f"  tracker summary: {summary}")
        print(f"  tracker CPU: {cpu_seconds:.2f}s user+sys = {cpu_seconds / options.logs * 1e6:.1f} µs per log "
              f"(a core to itself would allow {options.logs / cpu_seconds:,.0f} logs/s)")
        print(f"  tracker / node serving rate: {ours / node_rate:.2f}")

        if not options.skip_web3:
            web3_seconds, web3_rows = web3_process_log(token, head, options.chunk_size)
            web3_rate = web3_rows / web3_seconds
            print(f"web3 process_log decode only: {web3_rate:>10,.0f} logs/s  -> tracker end to end is "
                  f"{ours / web3_rate:.1f}x web3's decode alone")

        cryo = cryo_collect(options.cryo_python, anvil.url, token.address, head)
        if isinstance(cryo, str):
            print(cryo)
        else:
            cryo_seconds, cryo_whole, cryo_rows, parquet_bytes = cryo
            cryo_rate = cryo_rows / cryo_seconds
            print(f"cryo collect into memory:     {cryo_rate:>10,.0f} logs/s  ({cryo_rows:,} rows) -> "
                  f"tracker / cryo = {ours / cryo_rate:.2f}")
            whole_rate = cryo_rows / cryo_whole
            print(f"cryo whole process:           {whole_rate:>10,.0f} logs/s  ({cryo_whole:.2f}s wall incl. start-up "
                  f"and imports) -> tracker / cryo = {ours / whole_rate:.2f}")
            print(f"disk: tracker {size / options.logs:.1f} B/transfer (whole DuckDB file), cryo's rows as Parquet "
                  f"(ZSTD) {parquet_bytes / cryo_rows:.1f} B/transfer -> {size / parquet_bytes:.1f}x")
        print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    finally:
        anvil.stop()


if __name__ == "__main__":
    main()
