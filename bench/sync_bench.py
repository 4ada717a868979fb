"""End-to-end `tracker sync ethereum|tron` throughput on a local anvil node.

    .venv/bin/python bench/sync_bench.py [--chain ethereum|tron] [--logs 200000] [--per-tx 10000]
                                         [--chunk-size 5] [--cryo-python PATH] [--rounds N]

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
With --rounds N the tracker and cryo then run again, alternately, until each has run N times on the same chain,
and the pairs are summarised by their median, with the interval that holds the true median ratio with 95 %
confidence (order statistics; no assumption on the rounds' distribution): one pair moves with whatever else the
machine does meanwhile, and on a shared 2-core VM a difference of 2–3 % needs ≈ 20–30 rounds to show.
Each process's CPU is split into user and system time, with its minor page faults (most of the system time), and
the node's CPU while it ran.
The tracker's modules are compiled to bytecode first, as an install compiles them.
Prints one line per figure; paste them into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
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


NODE_PID: int | None = None  # the anvil serving the runs: its CPU during each run is reported with it


def node_cpu_seconds() -> float:
    """User + system CPU the node has used so far (/proc/PID/stat, fields 14 and 15)."""
    if NODE_PID is None:
        return 0.0
    fields = Path(f"/proc/{NODE_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    """One process, measured: wall seconds, user and system CPU seconds, minor page faults, peak RSS (KiB), and
    the CPU the node spent meanwhile (serving it: the two share the machine's cores).

    Its output is read once it has exited (a few lines: well within a pipe's buffer), so `wait4` reaps it and
    hands over its own resource usage.
    """

    def __init__(self, args: list[str], cwd: Path | None = None) -> None:
        node_before = node_cpu_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        self.seconds = time.perf_counter() - started
        self.node_cpu = node_cpu_seconds() - node_before
        self.user, self.system = usage.ru_utime, usage.ru_stime
        self.faults, self.rss_kib = usage.ru_minflt, usage.ru_maxrss
        self.failed = os.waitstatus_to_exitcode(status) != 0
        self.out = process.stdout.read().decode().strip()
        self.err = process.stderr.read().decode().strip()

    @property
    def cpu(self) -> str:
        return (f"{self.user:.2f}s user + {self.system:.2f}s sys, {self.faults:,} minor page faults; "
                f"node {self.node_cpu:.2f}s CPU")


def compile_tracker() -> None:
    """Write the checkout's bytecode, as installing the package does (pip compiles what it installs), so every run
    times the tracker as users run it. Without it, a checkout under PYTHONDONTWRITEBYTECODE (this project's
    machines set it) compiles each of the tracker's modules again in every run; cryo's come compiled."""
    import compileall

    if not compileall.compile_dir(ROOT / "tracker", quiet=1):
        raise SystemExit("could not compile the tracker's modules")


def run_tracker(chain: str, url: str, address: str, db: Path, chunk: int) -> Run:
    """The tracker process alone, syncing the whole chain into a fresh file at `db`."""
    run = Run([sys.executable, "-m", "tracker", "--db", str(db), "sync", chain, "--rpc", url, "--token", address,
               "--from-block", "0", "--confirmations", "0", "--chunk-size", str(chunk), "--quiet"], cwd=ROOT)
    if run.failed:
        raise SystemExit(f"tracker failed: {run.err}")
    return run


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


class CryoRun:
    """cryo's process: seconds inside collect(), seconds of the whole process (start-up and imports too, not the
    Parquet file written after), rows, and the bytes of those rows as Parquet (ZSTD). Its CPU (`run.cpu`)
    includes writing that file."""

    def __init__(self, run: Run) -> None:
        seconds, rows, parquet_bytes, parquet_seconds = run.out.split()
        self.run = run
        self.seconds = float(seconds)
        self.whole = run.seconds - float(parquet_seconds)
        self.rows, self.parquet_bytes = int(rows), int(parquet_bytes)


def cryo_collect(python: str, url: str, address: str, head: int) -> CryoRun | str:
    run = Run([python, "-c", CRYO_SCRIPT, url, address, str(head)])
    if run.failed:
        last = (run.err.splitlines() or ["failed"])[-1]
        return f"cryo unavailable ({last[:120]})"
    return CryoRun(run)


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """The narrowest interval of order statistics [x(k), x(n+1-k)] that holds the true median with at least
    `confidence`, whatever the values' distribution (each value falls below the median with probability ½, so
    the count below it is Binomial(n, ½)); None when n is too small for one (n < 6 at 95 %)."""
    ordered = sorted(values)
    n = len(ordered)
    below = 0.0  # P(Binomial(n, ½) <= k - 1), grown as k grows
    best = None
    for k in range(1, n // 2 + 1):
        below += math.comb(n, k - 1) / 2**n
        if 1 - 2 * below < confidence:
            break
        best = (ordered[k - 1], ordered[n - k])
    return best


def paired_rounds(options: argparse.Namespace, url: str, address: str, head: int,
                  first: tuple[Run, CryoRun]) -> None:
    """Tracker and cryo alternately until each ran `options.rounds` times; one line a round, then the medians."""
    pairs = [first]
    for _ in range(options.rounds - 1):
        with tempfile.TemporaryDirectory() as folder:
            ours = run_tracker(options.chain, url, address, Path(folder) / "bench.duckdb", options.chunk_size)
        cryo = cryo_collect(options.cryo_python, url, address, head)
        if isinstance(cryo, str):
            raise SystemExit(cryo)
        pairs.append((ours, cryo))
    for number, (ours, cryo) in enumerate(pairs, 1):
        print(f"  round {number}: tracker {ours.seconds:.2f}s ({ours.cpu}), cryo whole {cryo.whole:.2f}s "
              f"({cryo.run.cpu}) -> tracker / cryo = {cryo.whole / ours.seconds:.2f}")
    ratios = [cryo.whole / ours.seconds for ours, cryo in pairs]
    print(f"paired rounds: tracker {statistics.median(ours.seconds for ours, _ in pairs):.2f}s, cryo whole process "
          f"{statistics.median(cryo.whole for _, cryo in pairs):.2f}s (medians of {len(pairs)}) -> tracker / cryo = "
          f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f})")
    interval = median_interval(ratios)
    print(f"  the median ratio lies in {interval[0]:.2f}-{interval[1]:.2f} with 95 % confidence" if interval else
          "  6 rounds or more give a 95 % interval for the median ratio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", choices=["ethereum", "tron"], default="ethereum")
    parser.add_argument("--logs", type=int, default=200_000)
    parser.add_argument("--per-tx", type=int, default=10_000)
    # 10k logs a block here: 5 blocks = 50k logs per request, the tracker's own per-request target.
    parser.add_argument("--chunk-size", type=int, default=5)
    parser.add_argument("--cryo-python", default=sys.executable, help="a Python that has PyPI cryo installed")
    parser.add_argument("--skip-web3", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each of tracker and cryo, alternated on the same chain (medians printed)")
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")

    compile_tracker()
    global NODE_PID
    anvil = Anvil(START_TIME)
    NODE_PID = anvil.process.pid
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
            tracker = run_tracker(options.chain, anvil.url, token.address, db, options.chunk_size)
            seconds = tracker.seconds
            ours = options.logs / seconds
            size = db.stat().st_size
        print(f"tracker sync {options.chain} end to end: {ours:>10,.0f} logs/s  ({seconds:.2f}s wall incl. start-up, "
              f"peak RSS {tracker.rss_kib / 1024:,.0f} MiB, {size / options.logs:.0f} bytes/transfer on disk)")
        print(f"  tracker summary: {tracker.out}")
        cpu_seconds = tracker.user + tracker.system
        print(f"  tracker CPU: {cpu_seconds:.2f}s user+sys = {cpu_seconds / options.logs * 1e6:.1f} µs per log "
              f"(a core to itself would allow {options.logs / cpu_seconds:,.0f} logs/s); {tracker.cpu}")
        print(f"  tracker / node serving rate: {ours / node_rate:.2f}")

        if not options.skip_web3:
            web3_seconds, web3_rows = web3_process_log(token, head, options.chunk_size)
            web3_rate = web3_rows / web3_seconds
            print(f"web3 process_log decode only: {web3_rate:>10,.0f} logs/s  -> tracker end to end is "
                  f"{ours / web3_rate:.1f}x web3's decode alone")

        cryo = cryo_collect(options.cryo_python, anvil.url, token.address, head)
        if isinstance(cryo, str):
            print(cryo + (" - no paired rounds" if options.rounds > 1 else ""))
        else:
            cryo_whole, cryo_rows, parquet_bytes = cryo.whole, cryo.rows, cryo.parquet_bytes
            cryo_rate = cryo_rows / cryo.seconds
            print(f"cryo collect into memory:     {cryo_rate:>10,.0f} logs/s  ({cryo_rows:,} rows) -> "
                  f"tracker / cryo = {ours / cryo_rate:.2f}")
            whole_rate = cryo_rows / cryo_whole
            print(f"cryo whole process:           {whole_rate:>10,.0f} logs/s  ({cryo_whole:.2f}s wall incl. start-up "
                  f"and imports) -> tracker / cryo = {ours / whole_rate:.2f}")
            print(f"disk: tracker {size / options.logs:.1f} B/transfer (whole DuckDB file), cryo's rows as Parquet "
                  f"(ZSTD) {parquet_bytes / cryo_rows:.1f} B/transfer -> {size / parquet_bytes:.1f}x")
            if options.rounds > 1:
                paired_rounds(options, anvil.url, token.address, head, (tracker, cryo))
        print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    finally:
        anvil.stop()


if __name__ == "__main__":
    main()
