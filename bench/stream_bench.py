"""Liquidation collector throughput and memory: one hour of heavy traffic replayed as fast as it goes.

    .venv/bin/python bench/stream_bench.py [--hours 1] [--binance-rate 10] [--bybit-rate 5] [--okx-rate 5] [--paced]

A real websocket server on loopback (tests/support/ws_venues.py) plays `--hours` of pushes for the three
venues at the given rates per second of venue time (Bybit pushes carry 3 liquidations each; OKX pushes 1), as
fast as the socket takes them. The collector is the real CLI, `tracker market stream` in its own process, with
its default batching; when every push is sent and the file holds every row, it gets SIGTERM. Prints frames
and liquidations per second from the first push to the last commit, the collector's peak RSS (VmHWM), the
file size, and checks the stored count and notional sum against the replay's own. `--paced` plays the
pushes in venue time instead (each second's pushes, then a one-second pause): an hour takes an hour, and the
collector's RSS is sampled every minute to show whether memory grows with time.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.ws_venues import BINANCE, BYBIT, OKX, VenueSockets, binance_event, okx_push  # noqa: E402

T0 = 1_764_547_200_000
INSTRUMENTS = '{"code":"0","msg":"","data":[{"instId":"BTC-USDT-SWAP","ctVal":"0.01","ctType":"linear"},' \
              '{"instId":"ETH-USDT-SWAP","ctVal":"0.1","ctType":"linear"}]}'


def bybit_batch(index: int, ms: int) -> str:
    symbol = "BTCUSDT" if index % 2 else "ETHUSDT"
    base = 90000 if index % 2 else 3000
    items = ",".join(
        f'{{"T":{ms + k},"s":"{symbol}","S":"{"Buy" if (index + k) % 3 else "Sell"}","v":"0.{k + 1}{index % 97:02d}",'
        f'"p":"{base + index % 500}.{k}"}}' for k in range(3))
    return f'{{"topic":"allLiquidation.{symbol}","type":"snapshot","ts":{ms + 5},"data":[{items}]}}'


def replay(hours: float, rates: dict[str, int]) -> tuple[dict[str, list[list[str]]], int, Decimal]:
    """Each venue's frames per second of venue time, the number of liquidations and their notional sum
    (computed here, apart from the tool)."""
    seconds = int(hours * 3600)
    frames: dict[str, list[list[str]]] = {BINANCE: [], BYBIT: [], OKX: []}
    count, notional = 0, Decimal(0)
    for second in range(seconds):
        ms = T0 + second * 1000
        for venue in frames.values():
            venue.append([])
        for k in range(rates["binance"]):
            symbol, price = ("BTCUSDT", Decimal(90000 + second % 700)) if k % 2 else ("ETHUSDT", Decimal(3000 + k))
            qty = Decimal(f"0.{(second * 7 + k) % 900 + 100}")
            frames[BINANCE][-1].append(binance_event(symbol, "SELL" if k % 3 else "BUY", str(price), str(qty), ms + k))
            count, notional = count + 1, notional + price * qty
        for k in range(rates["bybit"]):
            index = second * rates["bybit"] + k
            frames[BYBIT][-1].append(bybit_batch(index, ms + 10 * k))
            symbol_base = 90000 if index % 2 else 3000
            for j in range(3):
                count += 1
                notional += Decimal(f"{symbol_base + index % 500}.{j}") * Decimal(f"0.{j + 1}{index % 97:02d}")
        for k in range(rates["okx"]):
            contracts = (second + k) % 40 + 1
            inst, value, price = ("BTC-USDT-SWAP", Decimal("0.01"), Decimal(90000 + k)) if k % 2 else \
                ("ETH-USDT-SWAP", Decimal("0.1"), Decimal(3000 + k))
            frames[OKX][-1].append(okx_push(inst, "sell" if k % 2 else "buy", str(price), str(contracts), ms + k))
            count, notional = count + 1, notional + price * value * contracts
    return frames, count, notional


def _current_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--binance-rate", type=int, default=10)
    parser.add_argument("--bybit-rate", type=int, default=5)
    parser.add_argument("--okx-rate", type=int, default=5)
    parser.add_argument("--paced", action="store_true", help="play in venue time (an hour takes an hour)")
    args = parser.parse_args()
    frames, expected, expected_notional = replay(args.hours, {"binance": args.binance_rate, "bybit": args.bybit_rate,
                                                              "okx": args.okx_rate})
    total_frames = sum(len(second) for seconds in frames.values() for second in seconds)
    print(f"replay: {args.hours:g} h, {total_frames:,} frames, {expected:,} liquidations", flush=True)

    from pytest_httpserver import HTTPServer  # the OKX REST stand-in: contract values only

    rest = HTTPServer(host="127.0.0.1", port=0)
    rest.expect_request("/api/v5/public/instruments").respond_with_data(INSTRUMENTS, content_type="application/json")
    rest.start()
    sockets = VenueSockets()
    for path, seconds in frames.items():
        pause = [("sleep", 1.0)] if args.paced else []
        sockets.plans[path] = [[step for second in seconds for step in (*(("send", f) for f in second), *pause)]]
    workdir = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    db = workdir / "stream.duckdb"
    env = {**os.environ, "TRACKER_BINANCE_WS_URL": sockets.url, "TRACKER_BYBIT_WS_URL": sockets.url,
           "TRACKER_OKX_WS_URL": sockets.url, "TRACKER_OKX_URL": rest.url_for("").rstrip("/")}
    started = time.monotonic()
    collector = subprocess.Popen([sys.executable, "-m", "tracker", "--db", str(db), "market", "stream", "--no-backfill"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, samples, next_sample = 0, [], time.monotonic() + 60

    def rss() -> int:
        try:
            for line in Path(f"/proc/{collector.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def stored() -> int:
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                return con.execute("SELECT count(*) FROM liquidations").fetchone()[0]
        except duckdb.Error:
            return -1

    while sum(sockets.finished.values()) < 3 or stored() < expected:
        peak = max(peak, rss())
        if time.monotonic() >= next_sample:
            samples.append(_current_rss(collector.pid))
            next_sample += 60
        if time.monotonic() - started > 3600 * (args.hours * 1.5 if args.paced else 1) or collector.poll() is not None:
            raise SystemExit(f"collector stopped or too slow: {stored():,} of {expected:,} stored")
        time.sleep(0.5)
    committed = time.monotonic() - started
    peak = max(peak, rss())
    collector.send_signal(signal.SIGTERM)
    out, err = collector.communicate(timeout=60)
    sockets.stop()
    rest.stop()
    with duckdb.connect(str(db), read_only=True) as con:
        count, notional = con.execute("SELECT count(*), sum(notional_usd) FROM liquidations").fetchone()
    print(out.strip())
    print(f"all committed after {committed:.1f} s (from the collector's start, connect and subscribe included)")
    print(f"throughput: {total_frames / committed:,.0f} frames/s, {expected / committed:,.0f} liquidations/s "
          "decoded and committed")
    print(f"collector peak RSS: {peak / 2**20:.0f} MiB; file {db.stat().st_size / 2**20:.1f} MiB")
    if samples:
        print("RSS by minute (MiB): " + " ".join(f"{sample / 2**20:.0f}" for sample in samples))
    print(f"check: stored {count:,} of {expected:,}; notional {notional} vs {expected_notional} "
          f"({'equal' if count == expected and Decimal(notional) == expected_notional else 'DIFFERENT'})")
    if collector.returncode != 0:
        print(err, file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
