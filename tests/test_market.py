"""`tracker market sync` against a local server answering in Binance USDⓈ-M futures' formats."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from werkzeug import Response

import tracker.http
from tests.support.helpers import file_digest, rows, run_cli
from tests.support.venues import Binance, today
from tracker.errors import TrackerError
from tracker.market.sync import sync_market


@pytest.fixture
def binance(httpserver, monkeypatch) -> Binance:
    fake = Binance()
    for path in ("/fapi/v1/fundingRate", "/futures/data/openInterestHist", "/futures/data/globalLongShortAccountRatio",
                 "/fapi/v1/klines"):
        httpserver.expect_request(path).respond_with_handler(fake.handler)
    monkeypatch.setenv("TRACKER_BINANCE_URL", httpserver.url_for("/").rstrip("/"))
    return fake


def test_sync_pages_stores_exact_values_and_resumes(tmp_path: Path, binance: Binance) -> None:
    db = tmp_path / "m.duckdb"
    since = today() - timedelta(days=400)
    summary = sync_market(db, ["binance"], ["BTC"], since, None)
    assert summary.rows == {"binance BTC funding": 1200, "binance BTC open_interest": 29,
                            "binance BTC open_interest_1h": 48,  # two days of hours (period=1h)
                            "binance BTC long_short_ratio": 29, "binance BTC prices": 400}
    assert binance.requests.count("/fapi/v1/fundingRate") == 2  # 1200 records, 1000 a page
    first = binance.funding[0]
    stored = rows(db, "SELECT rate, mark_price, epoch_ms(funding_time) FROM funding_rates ORDER BY funding_time LIMIT 1")
    assert stored == [(Decimal(first["fundingRate"]), Decimal(first["markPrice"]), first["fundingTime"])]
    assert rows(db, "SELECT count(*), count(DISTINCT day) FROM prices") == [(400, 400)]
    # Re-running resumes after what is stored: nothing new, nothing doubled.
    again = sync_market(db, ["binance"], ["BTC"], None, None)
    assert again.rows["binance BTC funding"] == 0
    assert again.rows["binance BTC prices"] == 1  # the last stored day is re-read (it may have closed since)
    assert rows(db, "SELECT count(*) FROM funding_rates") == [(1200,)]
    assert rows(db, "SELECT count(*) FROM prices") == [(400,)]


def test_daily_and_hourly_open_interest_resume_each_from_their_own_rows(tmp_path: Path, binance: Binance) -> None:
    """One table holds both periods: the daily series must not resume after the newest *hourly* row."""
    db = tmp_path / "m.duckdb"
    sync_market(db, ["binance"], ["BTC"], today() - timedelta(days=5), None)
    newest_day = binance.oi[-1]["timestamp"]
    newest_hours = [row["timestamp"] for row in binance.oi_hourly[-3:]]
    with duckdb.connect(str(db)) as con:  # lose the newest daily row and the three newest hourly rows
        con.execute("DELETE FROM open_interest WHERE (period = '1d' AND epoch_ms(ts) = ?) "
                    "OR (period = '1h' AND epoch_ms(ts) IN (?, ?, ?))", [newest_day, *newest_hours])
    again = sync_market(db, ["binance"], ["BTC"], None, None)
    assert again.rows["binance BTC open_interest"] == 1
    assert again.rows["binance BTC open_interest_1h"] == 3
    assert rows(db, "SELECT period, count(*), max(epoch_ms(ts)) FROM open_interest GROUP BY 1 ORDER BY 1") == [
        ("1d", 5, newest_day), ("1h", 48, binance.oi_hourly[-1]["timestamp"])]


def test_rate_limits_are_honoured(tmp_path: Path, binance: Binance, monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", waits.append)
    binance.faults = [Response("", status=429, headers={"Retry-After": "4"}),
                      Response("", status=418, headers={"Retry-After": "9"})]
    summary = sync_market(tmp_path / "m.duckdb", ["binance"], ["BTC"], today() - timedelta(days=3), None)
    assert waits == [4.0, 9.0]
    assert summary.rows["binance BTC funding"] == 9


def test_error_payload_and_bad_input_are_one_line(tmp_path: Path, binance: Binance) -> None:
    db = tmp_path / "m.duckdb"
    with pytest.raises(TrackerError) as raised:
        sync_market(db, ["binance"], ["DOGE"], today() - timedelta(days=3), None)
    assert str(raised.value) == "Binance: Invalid symbol. (code -1121)"  # HTTP 400 carrying Binance's error object
    sync_market(db, ["binance"], ["BTC"], today() - timedelta(days=3), None)
    before = file_digest(db)
    for args, message in [
        (["--venue", "kraken"], "unknown venue 'kraken'"),
        (["--symbol", "btc-usd"], "invalid --symbol"),
        (["--since", "2026-02-30"], "invalid --since"),
    ]:
        done = run_cli("--db", str(db), "market", "sync", *args, env={"TRACKER_BINANCE_URL": binance_url(binance)})
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 1 and len(lines) == 1 and message in lines[0], done.stderr
    assert file_digest(db) == before


def binance_url(binance: Binance) -> str:
    import os

    return os.environ["TRACKER_BINANCE_URL"]


def test_empty_range_stores_nothing(tmp_path: Path, binance: Binance) -> None:
    future = today() + timedelta(days=5)
    summary = sync_market(tmp_path / "m.duckdb", ["binance"], ["BTC"], future, future + timedelta(days=1))
    assert set(summary.rows.values()) == {0}


def test_market_daily_by_hand(tmp_path: Path) -> None:
    """Funding 0.0001/0.0002/0.0003 on one day → mean 0.0002, annualized 0.0002 × 3 × 365 = 0.219."""
    db = tmp_path / "m.duckdb"
    run_cli("--db", str(db), "labels", "list")  # creates the database
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO funding_rates VALUES ('binance','BTC','2026-03-10 00:00:00+00',0.0001,NULL),"
                    "('binance','BTC','2026-03-10 08:00:00+00',0.0002,NULL),('binance','BTC','2026-03-10 16:00:00+00',0.0003,NULL)")
        con.execute("INSERT INTO open_interest VALUES ('binance','BTC','2026-03-02 00:00:00+00','1d',NULL,1200),"
                    "('binance','BTC','2026-03-03 00:00:00+00','1d',NULL,1000),"
                    "('binance','BTC','2026-03-09 00:00:00+00','1d',NULL,1000),('binance','BTC','2026-03-10 00:00:00+00','1d',NULL,1100)")
        con.execute("INSERT INTO long_short_ratio VALUES ('binance','BTC','2026-03-10 00:00:00+00','1d',1.5,0.6,0.4)")
        con.execute("INSERT INTO prices VALUES ('binance','BTC','2026-03-10',1,2,0.5,1.75,10)")
    done = run_cli("--db", str(db), "query", "market_daily", "-p", "since", "2026-03-10", "--format", "json")
    (day,) = json.loads(done.stdout)
    assert day["funding_rate"] == pytest.approx(0.0002)  # a mean: a float feature, not money
    assert day["funding_annualized"] == pytest.approx(0.219)
    assert day["funding_annualized_oi_weighted"] == pytest.approx(0.219)
    assert Decimal(day["oi_usd"]) == 1100
    assert day["oi_change_1d"] == pytest.approx(0.1)
    assert day["oi_change_7d"] == pytest.approx(0.1)  # 2026-03-03: 1000
    assert day["oi_drawdown_90d"] == pytest.approx(1100 / 1200 - 1)
    assert day["long_short_ratio"] == pytest.approx(1.5) and Decimal(day["close"]) == Decimal("1.75")
    # The file runs unchanged in DuckDB itself.
    sql = (Path(__file__).resolve().parent.parent / "tracker" / "sql" / "queries" / "market_daily.sql").read_text()
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"PREPARE q AS {sql}")
        found = con.execute("EXECUTE q(symbol := 'BTC', since := DATE '2026-03-10', until := NULL)").fetchall()
    assert [(r[0], str(r[1]), r[5]) for r in found] == [("BTC", "2026-03-10", Decimal("1100"))]


METRICS = ("create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
           "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
           "2024-01-01 00:05:00,BTCUSDT,80000.123,3400000000.5,1.9,1.2,2.0123,0.9\n"
           "2024-01-01 00:10:00,BTCUSDT,80001.5,3400100000.25,1.9,1.2,2.0124,0.9\n")


def test_import_binance_metrics(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    good = tmp_path / "BTCUSDT-metrics-2024-01-01.csv"
    good.write_text(METRICS)
    done = run_cli("--db", str(db), "market", "import", str(good))
    assert done.returncode == 0 and "2 open-interest rows, 2 long/short rows" in done.stdout
    assert rows(db, "SELECT symbol, period, oi_contracts, oi_value_usd FROM open_interest ORDER BY ts") == [
        ("BTC", "5m", Decimal("80000.123"), Decimal("3400000000.5")), ("BTC", "5m", Decimal("80001.5"), Decimal("3400100000.25"))
    ]
    again = run_cli("--db", str(db), "market", "import", str(good))
    assert again.returncode == 0 and rows(db, "SELECT count(*) FROM open_interest") == [(2,)]
    before = file_digest(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(METRICS + "2024-01-01 00:15:00,BTCUSDT,lots,1,1,1,1,1\n")
    failed = run_cli("--db", str(db), "market", "import", str(bad))
    assert failed.returncode == 1 and "line 4: sum_open_interest: 'lots' is not a number" in failed.stderr
    assert file_digest(db) == before
