"""`tracker market stream` against real websocket servers on loopback speaking each venue's frames.

Values are checked against hand arithmetic on the frames sent; sides follow each venue's documented meaning
(Binance SELL, Bybit Buy, OKX sell = a long was liquidated).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.helpers import run_cli
from tests.support.venues import json_response
from tests.support.ws_venues import BINANCE, BYBIT, OKX, VenueSockets, binance_event, bybit_push, okx_push

FIXTURES = Path(__file__).parent / "fixtures" / "liquidations"
T0 = 1_764_547_200_000  # 2025-12-01 00:00 UTC, in ms

INSTRUMENTS = {"code": "0", "msg": "", "data": [
    {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "ctVal": "0.01", "ctType": "linear", "ctValCcy": "BTC"},
    {"instId": "ETH-USDT-SWAP", "instType": "SWAP", "ctVal": "0.1", "ctType": "linear", "ctValCcy": "ETH"},
    {"instId": "BTC-USD-SWAP", "instType": "SWAP", "ctVal": "100", "ctType": "inverse", "ctValCcy": "USD"},
]}


@pytest.fixture
def sockets():
    server = VenueSockets()
    yield server
    server.stop()


@pytest.fixture
def okx_rest(httpserver):
    """OKX REST: instruments, and liquidation-orders answering the BTC family from the fixture, then nothing."""
    seen: list[dict[str, str]] = []
    rest = json.loads((FIXTURES / "okx_liquidation_orders_rest.json").read_text())

    def liquidations(request):
        args = dict(request.args)
        seen.append(args)
        if args.get("instFamily") == "BTC-USDT" and "after" not in args:
            return json_response(rest)
        return json_response({"code": "0", "msg": "", "data": []})

    httpserver.expect_request("/api/v5/public/instruments").respond_with_json(INSTRUMENTS)
    httpserver.expect_request("/api/v5/public/liquidation-orders").respond_with_handler(liquidations)
    httpserver.seen = seen
    return httpserver


def env_for(sockets: VenueSockets, rest, **extra: str) -> dict[str, str]:
    return {"TRACKER_BINANCE_WS_URL": sockets.url, "TRACKER_BYBIT_WS_URL": sockets.url,
            "TRACKER_OKX_WS_URL": sockets.url, "TRACKER_OKX_URL": rest.url_for("").rstrip("/"),
            "TRACKER_STREAM_PING": "0.3", **extra}


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def test_three_venues_exact_rows_sides_and_coverage(tmp_path, sockets, okx_rest):
    sockets.plans[BINANCE] = [[
        ("send", binance_event("BTCUSDT", "SELL", "97000.5", "0.250", T0)),
        ("send", binance_event("SOLUSDT", "BUY", "180.1", "10", T0 + 5)),  # not a chosen symbol
        ("sleep", 1.0),
        ("send", binance_event("ETHUSDT", "BUY", "3500.25", "2.004", T0 + 1000)),
    ]]
    sockets.plans[BYBIT] = [[("send", bybit_push("BTCUSDT", "Buy", "96950.1", "1.5", T0 + 2000))]]
    sockets.plans[OKX] = [[("send", okx_push("BTC-USDT-SWAP", "buy", "97100.2", "3", T0 + 3000)),
                           ("send", okx_push("BTC-USD-SWAP", "sell", "97000", "50", T0 + 3100))]]  # inverse: left out
    db = tmp_path / "s.duckdb"
    started = datetime.now(timezone.utc)
    done = run_cli("--db", str(db), "market", "stream", "--for", "3s", "--flush", "0.5",
                   env=env_for(sockets, okx_rest))
    ended = datetime.now(timezone.utc)
    assert done.returncode == 0, done.stderr
    stored = rows(db, "SELECT venue, symbol, instrument, ts, side, price, qty, notional_usd, source "
                      "FROM liquidations ORDER BY venue, ts")
    assert stored == [
        ("binance", "BTC", "BTCUSDT", at(T0), "long", Decimal("97000.5"), Decimal("0.25"), Decimal("24250.125"), "ws"),
        ("binance", "ETH", "ETHUSDT", at(T0 + 1000), "short", Decimal("3500.25"), Decimal("2.004"),
         Decimal("7014.501"), "ws"),
        ("bybit", "BTC", "BTCUSDT", at(T0 + 2000), "long", Decimal("96950.1"), Decimal("1.5"), Decimal("145425.15"), "ws"),
        # the REST backfill (fixture): 0.31 and 11.49 contracts of 0.01 BTC
        ("okx", "BTC", "BTC-USDT-SWAP", at(1692266374010), "long", Decimal("64138.4"), Decimal("0.0031"),
         Decimal("198.82904"), "rest"),
        ("okx", "BTC", "BTC-USDT-SWAP", at(1692266434010), "short", Decimal("64198.6"), Decimal("0.1149"),
         Decimal("7376.41914"), "rest"),
        ("okx", "BTC", "BTC-USDT-SWAP", at(T0 + 3000), "short", Decimal("97100.2"), Decimal("0.03"), Decimal("2913.006"),
         "ws"),
    ]
    assert [args["instFamily"] for args in okx_rest.seen if "after" not in args] == ["BTC-USDT", "ETH-USDT"]
    assert all(args["instType"] == "SWAP" and args["state"] == "filled" for args in okx_rest.seen)

    coverage = {stream: (start, end) for _, stream, start, end in
                rows(db, "SELECT venue, stream, connected_from, connected_to FROM stream_coverage")}
    assert rows(db, "SELECT stream, symbols FROM stream_coverage ORDER BY stream") == [
        ("!forceOrder@arr", ["BTC", "ETH"]), ("allLiquidation.BTCUSDT", ["BTC"]), ("allLiquidation.ETHUSDT", ["ETH"]),
        ("liquidation-orders:SWAP", ["BTC", "ETH"])]
    assert set(coverage) == {"!forceOrder@arr", "allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT",
                             "liquidation-orders:SWAP"}
    # Binance is covered from its first event to its last (1 s apart); an ack proves nothing there
    start, end = coverage["!forceOrder@arr"]
    assert 0.9 <= (end - start).total_seconds() <= 2.5
    for stream in ("allLiquidation.BTCUSDT", "liquidation-orders:SWAP"):  # ack, then pongs every 0.3 s
        start, end = coverage[stream]
        assert started <= start < end <= ended
        assert (end - start).total_seconds() >= 1.5
    assert coverage["allLiquidation.BTCUSDT"] == coverage["allLiquidation.ETHUSDT"]  # one connection, two topics

    subscribed = [json.loads(text) for text in sockets.received[BYBIT] if "subscribe" in text]
    assert subscribed == [{"op": "subscribe", "args": ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"]}]
    assert sockets.received[OKX].count("ping") >= 3
    assert sum(json.loads(t).get("op") == "ping" for t in sockets.received[BYBIT]) >= 3
    assert json.loads(sockets.received[BINANCE][0]) == {"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}
    out = done.stdout.splitlines()
    assert "okx backfill: 2 liquidations new" in out
    assert any(line.startswith("binance: 2 liquidations received, 2 new") for line in out)
    assert any(line.startswith("bybit: 1 liquidations received, 1 new") for line in out)


def test_reconnect_resubscribes_and_stores_a_repeat_once(tmp_path, sockets, okx_rest):
    first = bybit_push("BTCUSDT", "Sell", "90000", "0.5", T0)
    second = bybit_push("BTCUSDT", "Buy", "89000", "0.25", T0 + 1)
    third = bybit_push("ETHUSDT", "Sell", "3000", "4", T0 + 2)
    sockets.plans[BYBIT] = [
        [("send", first), ("send", second), ("sleep", 0.5), ("abort",)],  # dropped without a close frame
        [("send", first), ("send", second), ("send", third)],  # the venue repeats itself after the reconnect
    ]
    db = tmp_path / "r.duckdb"
    done = run_cli("--db", str(db), "market", "stream", "--venue", "bybit", "--for", "4s", "--flush", "0.3",
                   env=env_for(sockets, okx_rest))
    assert done.returncode == 0, done.stderr
    assert sockets.connections[BYBIT] == 2
    assert sum("subscribe" in text for text in sockets.received[BYBIT]) == 2
    assert rows(db, "SELECT symbol, side, sum(notional_usd), count(*) FROM liquidations GROUP BY ALL ORDER BY ALL") == [
        ("BTC", "long", Decimal("22250"), 1), ("BTC", "short", Decimal("45000"), 1), ("ETH", "short", Decimal("12000"), 1)]
    intervals = rows(db, "SELECT stream, connected_from, connected_to FROM stream_coverage "
                         "WHERE stream = 'allLiquidation.BTCUSDT' ORDER BY connected_from")
    assert len(intervals) == 2 and intervals[0][2] <= intervals[1][1]  # a gap while reconnecting, not covered
    assert "bybit: disconnected" in done.stderr and "reconnecting in 1 s" in done.stderr
    assert "bybit: 5 liquidations received, 3 new" in done.stdout
    assert "1 reconnects" in done.stdout


def test_malformed_frames_are_skipped_and_counted(tmp_path, sockets, okx_rest):
    sockets.plans[OKX] = [[("send", "{not json"), ("send", json.dumps({"arg": {"channel": "tickers"}, "data": []})),
                           ("send", okx_push("ETH-USDT-SWAP", "sell", "3000.5", "7", T0))]]
    db = tmp_path / "m.duckdb"
    done = run_cli("--db", str(db), "market", "stream", "--venue", "okx", "--no-backfill", "--for", "2s",
                   "--flush", "0.3", env=env_for(sockets, okx_rest))
    assert done.returncode == 0, done.stderr
    # 7 contracts of 0.1 ETH
    assert rows(db, "SELECT side, qty, notional_usd FROM liquidations") == [("long", Decimal("0.7"), Decimal("2100.35"))]
    assert done.stderr.count("warning: okx: skipped a frame") == 2
    assert "2 malformed frames" in done.stdout
    assert not any("liquidation-orders" in args for args in okx_rest.seen)  # --no-backfill asked nothing


def test_a_silent_binance_stream_is_noticed_and_never_counted_as_covered(tmp_path, sockets, okx_rest):
    # subscribed and acked, but nothing ever arrives: what a stream on the old unrouted path looks like
    db = tmp_path / "q.duckdb"
    done = run_cli("--db", str(db), "market", "stream", "--venue", "binance", "--for", "4s",
                   env=env_for(sockets, okx_rest, TRACKER_STREAM_SILENCE="1"))
    assert done.returncode == 0, done.stderr
    assert "binance: disconnected (nothing for 1 s" in done.stderr and "/market" in done.stderr
    assert sockets.connections[BINANCE] >= 2
    assert rows(db, "SELECT count(*) FROM stream_coverage") == [(0,)]
    assert "covered 0.00 h" in done.stdout


def test_a_refused_subscription_is_one_error_line(tmp_path, sockets, okx_rest):
    sockets.refuse.add(BYBIT)
    db = tmp_path / "x.duckdb"
    done = run_cli("--db", str(db), "market", "stream", "--venue", "bybit", "--symbol", "NOPE", "--for", "5s",
                   env=env_for(sockets, okx_rest))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: Bybit: error:handler not found (subscribe)"


@pytest.mark.parametrize("args, message", [
    (["--venue", "kraken"], "error: unknown venue 'kraken' (expected binance, bybit, okx)"),
    (["--for", "soon"], "error: invalid --for 'soon': expected a duration such as 90s, 15m, 1h or 2d"),
    (["--for", "-5s"], "error: invalid --for '-5s': expected a positive duration"),
    (["--symbol", "btc-usdt"], "error: invalid --symbol 'BTC-USDT': expected base assets such as BTC,ETH"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    db = tmp_path / "b.duckdb"
    done = run_cli("--db", str(db), "market", "stream", *args)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == message
    assert not db.exists()


def _start(db: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tracker", "--db", str(db), "market", "stream", *args],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _stored(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM liquidations")[0][0]
    except duckdb.Error:  # not created yet, or the collector is writing this instant
        return -1


def test_sigterm_writes_everything_received_before_it(tmp_path, sockets, okx_rest):
    events = [binance_event("BTCUSDT", "SELL", f"{95000 + i}", "0.01", T0 + i * 1000) for i in range(30)]
    sockets.plans[BINANCE] = [[("send", event) for event in events]]
    db = tmp_path / "t.duckdb"
    # batches every 60 s: nothing is written before the signal, so the signal's flush must write it all
    collector = _start(db, env_for(sockets, okx_rest), "--venue", "binance", "--flush", "60")
    _wait(lambda: sockets.finished[BINANCE] == 1)
    time.sleep(0.5)  # the last frames reach the client
    assert _stored(db) in (-1, 0)
    collector.send_signal(signal.SIGTERM)
    out, err = collector.communicate(timeout=30)
    assert collector.returncode == 0, err
    assert rows(db, "SELECT count(*), sum(price) FROM liquidations") == [(30, Decimal(sum(95000 + i for i in range(30))))]
    assert "binance: 30 liquidations received, 30 new" in out
    (start, end), = rows(db, "SELECT connected_from, connected_to FROM stream_coverage")
    assert end > start


def test_sigkill_loses_nothing_committed_and_a_restart_doubles_nothing(tmp_path, sockets, okx_rest):
    events = [bybit_push("BTCUSDT", "Sell", f"{90000 + i}", "0.1", T0 + i) for i in range(40)]
    sockets.plans[BYBIT] = [[*(("send", e) for e in events[:25]), ("sleep", 30)],
                            [*(("send", e) for e in events)]]  # after the restart: the same 25 again, and 15 more
    db = tmp_path / "k.duckdb"
    collector = _start(db, env_for(sockets, okx_rest), "--venue", "bybit", "--flush", "0.2")
    _wait(lambda: _stored(db) == 25)
    committed = rows(db, "SELECT count(*), max(connected_to) FROM stream_coverage")[0]
    assert committed[0] == 2  # both topics' interval, written with the rows
    collector.send_signal(signal.SIGKILL)
    collector.wait(timeout=10)
    assert _stored(db) == 25
    done = run_cli("--db", str(db), "market", "stream", "--venue", "bybit", "--for", "2s", "--flush", "0.3",
                   env=env_for(sockets, okx_rest))
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT price), min(price), max(price) FROM liquidations") == [
        (40, 40, Decimal(90000), Decimal(90039))]
    assert "bybit: 40 liquidations received, 15 new" in done.stdout
    # the killed run's coverage survives up to its last committed batch; the new run adds its own interval
    intervals = rows(db, "SELECT connected_from, connected_to FROM stream_coverage "
                         "WHERE stream = 'allLiquidation.BTCUSDT' ORDER BY connected_from")
    assert len(intervals) == 2 and intervals[0][1] >= committed[1]


def test_collected_liquidations_reach_the_daily_query_and_the_report(tmp_path, sockets, okx_rest):
    to_midnight = 86_400 - time.time() % 86_400
    if to_midnight < 120:  # one UTC day's figures: wait for the next day rather than straddle two
        time.sleep(to_midnight + 1)
    now_ms = int(time.time() * 1000)
    today = datetime.now(timezone.utc).date()
    sockets.plans[BYBIT] = [[("send", bybit_push("BTCUSDT", "Buy", "91000.5", "0.2", now_ms)),
                             ("send", bybit_push("BTCUSDT", "Sell", "91010", "0.05", now_ms + 1))]]
    db = tmp_path / "e.duckdb"
    # pings only every 25 s: the coverage to the stop comes from the pong asked for at the stop
    done = run_cli("--db", str(db), "market", "stream", "--venue", "bybit", "--symbol", "BTC", "--for", "2s",
                   "--flush", "0.3", env=env_for(sockets, okx_rest, TRACKER_STREAM_PING="25"))
    assert done.returncode == 0, done.stderr
    assert not any(json.loads(text).get("op") == "ping" for text in sockets.received[BYBIT])
    daily = json.loads(run_cli("--db", str(db), "query", "liquidations_daily", "-p", "since", str(today),
                               "-p", "until", str(today), "--format", "json").stdout)
    by_side = {row["side"]: row for row in daily if row["venue"] == "bybit" and row["symbol"] == "BTC"}
    assert (by_side["long"]["count"], Decimal(by_side["long"]["notional_usd"])) == (1, Decimal("18200.1"))
    assert (by_side["short"]["count"], Decimal(by_side["short"]["notional_usd"])) == (1, Decimal("4550.5"))
    (seconds,), = rows(db, "SELECT sum(epoch(connected_to - connected_from)) FROM stream_coverage")
    assert 1.5 < seconds < 3.0
    assert by_side["long"]["coverage_hours"] == pytest.approx(seconds / 3600, abs=1e-6)
    assert by_side["long"]["lower_bound"] is True  # a few seconds of the day
    report = run_cli("--db", str(db), "report", "--date", str(today), "--format", "md")
    assert report.returncode == 0, report.stderr
    section = report.stdout[report.stdout.index("## liquidations"):report.stdout.index("## liquidation clusters")]
    assert re.search(r"\| BTC \| bybit \| long \| 1 \| \$18\.20K \| covered 0\.000\d+ of 24 h \| lower bound \|", section)



def test_settings_out_of_range_are_one_line(tmp_path):
    db = tmp_path / "p.duckdb"
    done = run_cli("--db", str(db), "market", "stream", "--for", "1s", env={"TRACKER_STREAM_PING": "45"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == \
        "error: market.stream_ping must be between 0 and 30 seconds (OKX drops a connection idle 30 s)"
    assert not db.exists()


def _hold(db: Path) -> duckdb.DuckDBPyConnection:
    """Open the file for writing as soon as the collector is between two batches."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return duckdb.connect(str(db))
        except duckdb.IOException:
            assert time.monotonic() < deadline, "the collector never let go of the file"
            time.sleep(0.02)


def test_a_busy_file_keeps_the_batch_for_the_next_write(tmp_path, sockets, okx_rest):
    events = [bybit_push("BTCUSDT", "Sell", f"{80000 + i}", "0.1", T0 + i) for i in range(5)]
    sockets.plans[BYBIT] = [[("sleep", 1.5), *(("send", e) for e in events)]]
    db = tmp_path / "busy.duckdb"
    assert run_cli("--db", str(db), "labels", "list").returncode == 0  # the file exists, migrated
    collector = _start(db, env_for(sockets, okx_rest, TRACKER_BUSY_TIMEOUT="0.2"), "--venue", "bybit",
                       "--flush", "0.3", "--for", "6s")
    _wait(lambda: sockets.connections[BYBIT] == 1)
    holder = _hold(db)  # another writer holds the file while the first batches come in
    try:
        _wait(lambda: sockets.finished[BYBIT] == 1)
        time.sleep(1.0)
    finally:
        holder.close()
    out, err = collector.communicate(timeout=30)
    assert collector.returncode == 0, err
    assert "is busy" in err and "kept for the next write" in err
    assert rows(db, "SELECT count(*), sum(price) FROM liquidations") == [(5, Decimal(5 * 80000 + 10))]
    assert "bybit: 5 liquidations received, 5 new" in out
