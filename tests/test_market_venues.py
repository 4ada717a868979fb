"""`tracker market sync` for Bybit and OKX against local servers in their formats, and all three together."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

import tracker.http
import tracker.market.okx
from tests.support.helpers import file_digest, rows, run_cli
from tests.support.venues import Bybit, Okx, json_response, ms, today
from tracker.errors import TrackerError
from tracker.market.sync import sync_market


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Every wait the tool asks for (retries, rate-limit pauses, pacing), instead of waiting."""
    asked: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", asked.append)
    return asked


def serve(httpserver, monkeypatch, fake: Bybit | Okx, variable: str) -> Bybit | Okx:
    for path in fake.PATHS:
        httpserver.expect_request(path).respond_with_handler(fake.handler)
    monkeypatch.setenv(variable, httpserver.url_for("/").rstrip("/"))
    return fake


@pytest.fixture
def bybit(httpserver, monkeypatch, waits) -> Bybit:
    return serve(httpserver, monkeypatch, Bybit(), "TRACKER_BYBIT_URL")


@pytest.fixture
def okx(httpserver, monkeypatch, waits) -> Okx:
    return serve(httpserver, monkeypatch, Okx(), "TRACKER_OKX_URL")


def test_bybit_pages_backwards_and_stores_exact_values(tmp_path: Path, bybit: Bybit) -> None:
    db = tmp_path / "m.duckdb"
    summary = sync_market(db, ["bybit"], ["BTC"], today() - timedelta(days=400), None)
    assert summary.rows == {"bybit BTC funding": 1200, "bybit BTC open_interest": 400, "bybit BTC open_interest_1h": 48,
                            "bybit BTC long_short_ratio": 400, "bybit BTC prices": 400}
    assert bybit.count("/v5/market/funding/history") == 6  # 200 a page, newest first, by endTime; stops at --since
    assert bybit.count("/v5/market/open-interest") == 3  # by cursor: two pages of days, one of hours
    assert rows(db, "SELECT oi_contracts FROM open_interest WHERE period = '1h' ORDER BY ts DESC LIMIT 1") == [
        (Decimal(bybit.oi_hourly[-1]["openInterest"]),)]
    oldest = bybit.funding[0]
    assert rows(db, "SELECT rate, mark_price, epoch_ms(funding_time) FROM funding_rates ORDER BY funding_time LIMIT 1") \
        == [(Decimal(oldest["fundingRate"]), None, int(oldest["fundingRateTimestamp"]))]
    assert rows(db, "SELECT oi_contracts, oi_value_usd FROM open_interest WHERE period = '1d' ORDER BY ts LIMIT 1") == [
        (Decimal(bybit.oi[0]["openInterest"]), None)]
    # 0.6 / 0.4 = 1.5: the ratio is derived, the shares are stored as given.
    assert rows(db, "SELECT DISTINCT ratio, long_share, short_share FROM long_short_ratio") == [
        (Decimal("1.5"), Decimal("0.6"), Decimal("0.4"))]
    candle = bybit.klines[-1]
    assert rows(db, "SELECT open, close, volume FROM prices ORDER BY day DESC LIMIT 1") == [
        (Decimal(candle[1]), Decimal(candle[4]), Decimal(candle[5]))]
    again = sync_market(db, ["bybit"], ["BTC"], None, None)
    assert again.rows["bybit BTC funding"] == 0 and again.rows["bybit BTC prices"] == 1
    assert rows(db, "SELECT count(*) FROM funding_rates") == [(1200,)]


def test_okx_pages_backwards_and_stores_exact_values(tmp_path: Path, okx: Okx, waits: list[float], monkeypatch) -> None:
    db = tmp_path / "m.duckdb"
    # A clock that moves only when the tool waits: the pacing is then the same on a loaded machine as on an idle one
    # (a slow request would otherwise need no wait and the count below would depend on the machine).
    clock = [1000.0]

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(tracker.market.okx, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(tracker.http, "sleep", wait)
    summary = sync_market(db, ["okx"], ["BTC"], today() - timedelta(days=300), None)
    assert summary.rows == {"okx BTC funding": 900, "okx BTC open_interest": 300, "okx BTC open_interest_1h": 48,
                            "okx BTC long_short_ratio": 300, "okx BTC prices": 300}
    assert okx.count("/api/v5/public/funding-rate-history") == 9  # 100 a page, `after` the oldest seen
    assert okx.count("/api/v5/market/history-candles") == 3
    oi_periods = sorted({args["period"] for path, args in okx.requests
                         if path == "/api/v5/rubik/stat/contracts/open-interest-history"})
    assert oi_periods == ["1Dutc", "1H"]
    candle_bars = {args["bar"] for path, args in okx.requests if path == "/api/v5/market/history-candles"}
    assert candle_bars == {"1Dutc"}  # days cut at UTC midnight, not Hong Kong's
    oldest = okx.funding[0]
    assert rows(db, "SELECT rate FROM funding_rates ORDER BY funding_time LIMIT 1") == [(Decimal(oldest["realizedRate"]),)]
    first_oi = okx.oi[0]
    assert rows(db, "SELECT oi_contracts, oi_value_usd FROM open_interest WHERE period = '1d' ORDER BY ts LIMIT 1") == [
        (Decimal(first_oi[2]), Decimal(first_oi[3]))]
    last_hour = okx.oi_hourly[-1]
    assert rows(db, "SELECT oi_contracts, oi_value_usd FROM open_interest WHERE period = '1h' ORDER BY ts DESC LIMIT 1") \
        == [(Decimal(last_hour[2]), Decimal(last_hour[3]))]
    assert rows(db, "SELECT ratio FROM long_short_ratio ORDER BY ts LIMIT 1") == [(Decimal(okx.ratio[0][1]),)]
    assert rows(db, "SELECT close, volume FROM prices ORDER BY day LIMIT 1") == [
        (Decimal(okx.candles[0][4]), Decimal(okx.candles[0][6]))]
    # Paced for the trading-data endpoints' 5 requests per 2 s.
    assert len(waits) == len(okx.requests) - 1 and all(wait == pytest.approx(0.4) for wait in waits)
    before = rows(db, "SELECT count(*) FROM funding_rates")
    sync_market(db, ["okx"], ["BTC"], today() - timedelta(days=300), None)  # an explicit re-run upserts
    assert rows(db, "SELECT count(*) FROM funding_rates") == before == [(900,)]


def test_rate_limits_are_waited_out(tmp_path: Path, bybit: Bybit, okx: Okx, waits: list[float]) -> None:
    bybit.faults = [json_response({}, 429, {"Retry-After": "3"}),
                    json_response({"retCode": 10006, "retMsg": "Too many visits!", "result": {}}),
                    json_response({"retCode": 0}, 403)]
    okx.faults = [json_response({"code": "50011", "msg": "Too Many Requests", "data": []}, 429, {"Retry-After": "7"}),
                  json_response({"code": "50011", "msg": "Too Many Requests", "data": []})]
    summary = sync_market(tmp_path / "m.duckdb", ["bybit", "okx"], ["BTC"], today() - timedelta(days=2), None)
    assert 3.0 in waits and 7.0 in waits
    assert summary.rows["bybit BTC funding"] == 6 and summary.rows["okx BTC funding"] == 6


def test_binance_used_weight_pauses_until_the_next_minute(httpserver, monkeypatch, tmp_path: Path,
                                                           waits: list[float]) -> None:
    served = []

    def answer(request):
        served.append(request.path)
        weight = "2100" if len(served) == 1 else "10"  # over 80 % of 2400 on the first answer only
        return json_response([], headers={"X-MBX-USED-WEIGHT-1M": weight})

    httpserver.expect_request("/fapi/v1/fundingRate").respond_with_handler(answer)
    httpserver.expect_request("/fapi/v1/klines").respond_with_handler(answer)
    httpserver.expect_request("/futures/data/openInterestHist").respond_with_handler(answer)
    httpserver.expect_request("/futures/data/globalLongShortAccountRatio").respond_with_handler(answer)
    monkeypatch.setenv("TRACKER_BINANCE_URL", httpserver.url_for("/").rstrip("/"))
    sync_market(tmp_path / "m.duckdb", ["binance"], ["BTC"], today() - timedelta(days=2), None)
    assert len(served) == 5 and len(waits) == 1 and 1 <= waits[0] <= 61  # OI is asked for twice: 1d and 1h


@pytest.mark.parametrize("venue, message", [
    ("bybit", "Bybit: params error: symbol invalid (retCode 10001)"),
    ("okx", "OKX: Instrument ID does not exist (code 51001)"),
])
def test_error_payloads_are_one_line_and_leave_the_file(tmp_path: Path, bybit: Bybit, okx: Okx,
                                                        venue: str, message: str) -> None:
    db = tmp_path / "m.duckdb"
    sync_market(db, [venue], ["BTC"], today() - timedelta(days=3), None)
    before = file_digest(db)
    with pytest.raises(TrackerError) as raised:
        sync_market(db, [venue], ["DOGE"], today() - timedelta(days=3), None)
    assert str(raised.value) == message
    assert file_digest(db) == before


def test_empty_ranges(tmp_path: Path, bybit: Bybit, okx: Okx) -> None:
    future = today() + timedelta(days=5)
    summary = sync_market(tmp_path / "m.duckdb", ["bybit", "okx"], ["BTC"], future, future)
    assert len(summary.rows) == 10 and set(summary.rows.values()) == {0}
    old = today() - timedelta(days=2000)  # before either venue's data
    summary = sync_market(tmp_path / "m.duckdb", ["bybit", "okx"], ["BTC"], old, old + timedelta(days=3))
    assert set(summary.rows.values()) == {0}


def test_market_daily_derives_bybit_oi_value_and_weights_funding(tmp_path: Path) -> None:
    """Binance OI $3000 (funding 0.0001 ×3/day), Bybit 2 BTC at the day's open $500 = $1000 (funding 0.0003 ×3/day).

    OI-weighted annualized funding = (0.0001×3×365×3000 + 0.0003×3×365×1000) / 4000 = 0.164 25.
    """
    db = tmp_path / "m.duckdb"
    run_cli("--db", str(db), "labels", "list")
    with duckdb.connect(str(db)) as con:
        for exchange, rate in (("binance", "0.0001"), ("bybit", "0.0003")):
            for hours in (0, 8, 16):
                con.execute(f"INSERT INTO funding_rates VALUES ('{exchange}','BTC','2026-03-10 {hours:02}:00:00+00',{rate},NULL)")
        con.execute("INSERT INTO open_interest VALUES ('binance','BTC','2026-03-10 00:00:00+00','1d',0.06,3000),"
                    "('bybit','BTC','2026-03-10 00:00:00+00','1d',2,NULL)")
        con.execute("INSERT INTO prices VALUES ('bybit','BTC','2026-03-10',500,600,400,550,7)")
    done = run_cli("--db", str(db), "query", "market_daily", "--format", "json")
    (day,) = json.loads(done.stdout)
    assert Decimal(day["oi_usd"]) == Decimal("4000")
    assert day["funding_annualized"] == pytest.approx((0.0001 + 0.0003) / 2 * 3 * 365)
    assert day["funding_annualized_oi_weighted"] == pytest.approx(0.16425)
    assert Decimal(day["close"]) == Decimal("550")  # only Bybit has a candle that day


def test_default_is_all_three_venues(tmp_path: Path, httpserver, bybit: Bybit, okx: Okx, monkeypatch) -> None:
    """With no --venue the CLI asks Binance, Bybit and OKX."""
    binance_paths = []

    def binance(request):
        binance_paths.append(request.path)
        if request.path == "/fapi/v1/fundingRate" and request.args["symbol"] == "BTCUSDT":
            return json_response([{"symbol": "BTCUSDT", "fundingTime": ms(today() - timedelta(days=1)),
                                   "fundingRate": "-0.00002500", "markPrice": "61000.5"}])
        return json_response([])

    for path in ("/fapi/v1/fundingRate", "/fapi/v1/klines", "/futures/data/openInterestHist",
                 "/futures/data/globalLongShortAccountRatio"):
        httpserver.expect_request(path).respond_with_handler(binance)
    url = httpserver.url_for("/").rstrip("/")
    db = tmp_path / "m.duckdb"
    done = run_cli("--db", str(db), "market", "sync", "--symbol", "BTC", "--since", str(today() - timedelta(days=2)),
                   env={"TRACKER_BINANCE_URL": url, "TRACKER_BYBIT_URL": url, "TRACKER_OKX_URL": url})
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT exchange, count(*) FROM funding_rates GROUP BY 1 ORDER BY 1") == [
        ("binance", 1), ("bybit", 6), ("okx", 6)]
    assert rows(db, "SELECT rate FROM funding_rates WHERE exchange = 'binance'") == [(Decimal("-0.000025"),)]
