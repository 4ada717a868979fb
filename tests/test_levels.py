"""The estimated liquidation-level model: tiny hand-computed cases, then sync → levels → query end to end."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.helpers import file_digest, rows, run_cli
from tests.support.venues import Binance, Bybit, Okx, today
from tracker.market.levels import DayRange, Model, OiPoint, bucket_of, liquidation_price, long_share, simulate

H0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
ONE_TIER = ((10, 1.0),)  # all new OI at 10x: every figure below is easy to check by hand
MMR = {"binance": 0.005, "bybit": 0.005}


def hour(n: int) -> datetime:
    return H0 + timedelta(hours=n)


def test_liquidation_prices_and_long_share_by_hand() -> None:
    # Bybit's worked example: long 1 BTC at 20,000, 50x, MMR 0.5 % -> 20,000 - (400 - 100) = 19,700.
    assert liquidation_price(20000, 50, 0.005, "long") == pytest.approx(19700)
    assert liquidation_price(20000, 50, 0.005, "short") == pytest.approx(20300)
    assert long_share(1.5) == pytest.approx(0.6) and long_share(None) == 0.5


def test_bucket_edges_belong_to_the_bucket_above() -> None:
    assert bucket_of(54000, 300) == 180  # [54,000, 54,300)
    assert bucket_of(53999.99, 300) == 179
    assert bucket_of(54299.99, 300) == 180


def test_one_increase_split_by_ratio_then_a_pro_rata_decrease() -> None:
    """+10 BTC at 60,000 (value 6,600,000 / 110), ratio 1.5 -> 6 long, 4 short at 10x, MMR 0.5 %:
    long liq 60,000 × 0.905 = 54,300, short 60,000 × 1.095 = 65,700. Then OI 110 -> 99 keeps 90 %."""
    points = [OiPoint("binance", hour(0), 100, 6_000_000), OiPoint("binance", hour(1), 110, 6_600_000),
              OiPoint("binance", hour(2), 99, 5_940_000)]
    snaps = simulate(points, {"binance": [(hour(0), 1.5)]}, {}, Model(300, ONE_TIER, MMR))
    assert [s.buckets for s in snaps[:1]] == [{}]  # the first hour is the baseline
    assert snaps[1].buckets == pytest.approx({("long", 181): 6 * 60000, ("short", 219): 4 * 60000})
    assert snaps[2].buckets == pytest.approx({("long", 181): 5.4 * 60000, ("short", 219): 3.6 * 60000})


def test_a_price_crossing_removes_the_tranche_and_coins_only_venues_use_another_price() -> None:
    """Bybit (coins only) adds 10 BTC at Binance's implied 60,000: long liq 54,300, short 65,700. The next
    hour's price 54,000 goes through the long's level: only the short (4 → 5 BTC by 50/50 here) remains."""
    points = [OiPoint("binance", hour(0), 100, 6_000_000), OiPoint("bybit", hour(0), 50, None),
              OiPoint("binance", hour(1), 100, 6_000_000), OiPoint("bybit", hour(1), 60, None),
              OiPoint("binance", hour(2), 100, 5_400_000), OiPoint("bybit", hour(2), 60, None)]
    snaps = simulate(points, {}, {}, Model(300, ONE_TIER, MMR))
    assert snaps[1].buckets == pytest.approx({("long", 181): 5 * 60000, ("short", 219): 5 * 60000})
    assert snaps[2].price == pytest.approx(54000)
    assert snaps[2].buckets == pytest.approx({("short", 219): 5 * 54000})


def test_a_whole_day_range_removes_tranches_opened_before_it() -> None:
    """A tranche opened on 03-01 survives hourly prices of 60,000 but 03-02's low of 54,000 (seen at 03-03
    00:00) liquidates the long side; a day's range is never applied to tranches opened during that day."""
    day1, day2 = H0, H0 + timedelta(days=1)
    points = [OiPoint("binance", day1, 100, 6_000_000), OiPoint("binance", day1 + timedelta(hours=1), 110, 6_600_000),
              OiPoint("binance", day2 + timedelta(hours=23), 110, 6_600_000),
              OiPoint("binance", day2 + timedelta(days=1), 110, 6_600_000)]
    days = {date(2026, 3, 1): DayRange(60000, 50000, 60000), date(2026, 3, 2): DayRange(61000, 54000, 60000)}
    snaps = simulate(points, {}, days, Model(300, ONE_TIER, MMR))
    assert snaps[2].buckets == pytest.approx({("long", 181): 5 * 60000, ("short", 219): 5 * 60000})
    assert snaps[3].buckets == pytest.approx({("short", 219): 5 * 60000})


# --- end to end: venue stand-ins -> `market sync` -> `market levels` -> `query liquidation_levels` --------------


@pytest.fixture
def venues(httpserver, monkeypatch) -> dict[str, str]:
    binance, bybit, okx = Binance(days=3), Bybit(days=3), Okx(days=3)
    for path in ("/fapi/v1/fundingRate", "/futures/data/openInterestHist", "/futures/data/globalLongShortAccountRatio",
                 "/fapi/v1/klines"):
        httpserver.expect_request(path).respond_with_handler(binance.handler)
    for fake in (bybit, okx):
        for path in fake.PATHS:
            httpserver.expect_request(path).respond_with_handler(fake.handler)
    url = httpserver.url_for("/").rstrip("/")
    return {"TRACKER_BINANCE_URL": url, "TRACKER_BYBIT_URL": url, "TRACKER_OKX_URL": url}


def test_sync_levels_and_query_end_to_end(tmp_path: Path, venues: dict[str, str]) -> None:
    """The stand-ins' hourly OI rises by one coin an hour on every venue for two days (Binance 81,000.5 + i and
    OKX 31,000.01 + i, both valued at 60,000; Bybit 51,000.25 + i, coins only, priced at Binance's 60,000).

    Per +1 coin the longs get 1.8105/2.8105 on Binance (its ratio), spread 30/30/20/12/8 % over 5/10/25/50/100x.
    Nothing is crossed (the price stays 60,000), so the last hour holds 47 increases × 3 venues × 1 coin ×
    60,000 = 8,460,000 USD, whatever the split (each bucket is rounded to cents)."""
    db = tmp_path / "m.duckdb"
    since = str(today() - timedelta(days=3))
    synced = run_cli("--db", str(db), "market", "sync", "--symbol", "BTC", "--since", since, env=venues)
    assert synced.returncode == 0, synced.stderr
    done = run_cli("--db", str(db), "market", "levels", "--symbol", "BTC", env=venues)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("BTC: 48 hourly snapshots, ")
    assert "(width $300.00)" in done.stdout  # 0.5 % of 60,000
    printed = Decimal(done.stdout.rsplit("$", 1)[1].strip().replace(",", ""))
    first = rows(db, "SELECT * FROM liquidation_levels ORDER BY ts, side, price_low")
    # Hour 1: Binance +1 coin at 60,000, long share 1.8105/2.8105, 5x at MMR 0.004: liq 60,000 × 0.804 = 48,240
    # in [48,000, 48,300), together with nothing else (Bybit's 5x long at 0.805 → 48,300 is the next bucket).
    hour1 = [r for r in first if r[1] == min(r[1] for r in first)]
    binance_long_5x = 1 * 1.8105 / 2.8105 * 0.30 * 60000
    by_bucket = {(r[2], r[3], r[4]): r[5] for r in hour1}
    assert by_bucket[("long", Decimal("48000"), Decimal("48300"))] == Decimal(str(round(binance_long_5x, 2)))
    last = [r for r in first if r[1] == max(r[1] for r in first)]
    assert sum(r[5] for r in last) == printed
    assert float(printed) == pytest.approx(8_460_000, abs=0.01 * len(last))
    # The named query: the last snapshot, nearest buckets first, distances from 60,000.
    shown = run_cli("--db", str(db), "query", "liquidation_levels", "-p", "symbol", "BTC", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    levels = json.loads(shown.stdout)
    assert {row["kind"] for row in levels} == {"estimate"}
    assert sum(Decimal(row["estimated_notional_usd"]) for row in levels) == printed
    nearest = levels[0]
    middle = (Decimal(nearest["price_low"]) + Decimal(nearest["price_high"])) / 2
    assert Decimal(nearest["distance_pct"]) == round((middle - 60000) / 60000 * 100, 2)
    assert abs(Decimal(nearest["distance_pct"])) <= min(abs(Decimal(row["distance_pct"])) for row in levels)
    # Re-running writes the same rows.
    snapshots = rows(db, "SELECT * FROM liquidation_level_snapshots ORDER BY ts")
    assert len(snapshots) == 48 and {r[2] for r in snapshots} == {Decimal(60000)}
    assert run_cli("--db", str(db), "market", "levels", "--symbol", "BTC").returncode == 0
    assert rows(db, "SELECT * FROM liquidation_levels ORDER BY ts, side, price_low") == first
    assert rows(db, "SELECT * FROM liquidation_level_snapshots ORDER BY ts") == snapshots
    # A window rewrites only its own days, with the same values.
    yesterday = str(today() - timedelta(days=1))
    assert run_cli("--db", str(db), "market", "levels", "--since", yesterday, "--until", yesterday).returncode == 0
    assert rows(db, "SELECT * FROM liquidation_levels ORDER BY ts, side, price_low") == first


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-13-01"], "invalid --since '2026-13-01'"),
    (["--since", "2026-03-05", "--until", "2026-03-01"], "--since 2026-03-05 is after --until 2026-03-01"),
    (["--bucket", "0"], "invalid --bucket 0.0"),
    (["--bucket", "-1"], "invalid --bucket -1.0"),
    (["--symbol", "DOGE"], "no hourly open interest stored for 'DOGE'"),
])
def test_bad_input_is_one_line_and_leaves_the_file(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "m.duckdb"
    run_cli("--db", str(db), "labels", "list")
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO open_interest VALUES ('binance','BTC','2026-03-01 00:00:00+00','1h',100,6000000)")
    before = file_digest(db)
    done = run_cli("--db", str(db), "market", "levels", *args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and message in lines[0], done.stderr
    assert file_digest(db) == before


def test_calibration_on_hand_inserted_liquidations(tmp_path: Path) -> None:
    """Snapshot 03-01 01:00: +10 BTC at 60,000 split 50/50 at 10x only → long bucket [54,300, 54,600)
    ($300,000 at 60,000), short [65,700, 66,000). Realized on 03-01: a long at 54,400 ($54,400, inside) and
    a long at 50,000 ($100,000, outside): recall 54,400 / 154,400. On 03-02 (range 54,000–61,000, from the
    snapshot before the day: the long bucket is reached, the short is not) a long at 54,500 confirms it."""
    db = tmp_path / "m.duckdb"
    run_cli("--db", str(db), "labels", "list")
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO liquidation_levels VALUES ('BTC','2026-03-01 01:00:00+00','long',54300,54600,300000),"
                    "('BTC','2026-03-01 01:00:00+00','short',65700,66000,300000)")
        con.execute("INSERT INTO liquidation_level_snapshots VALUES ('BTC','2026-03-01 01:00:00+00',60000,300)")
        con.execute("INSERT INTO liquidations VALUES "
                    "('binance','BTC','BTCUSDT','2026-03-01 05:00:00+00','long',54400,1,54400,'ws'),"
                    "('bybit','BTC','BTCUSDT','2026-03-01 06:00:00+00','long',50000,2,100000,'ws'),"
                    "('okx','BTC','BTC-USDT-SWAP','2026-03-02 07:00:00+00','long',54500,1,54500,'ws')")
        con.execute("INSERT INTO prices VALUES ('binance','BTC','2026-03-02',60000,61000,54000,56000,1)")
    done = run_cli("--db", str(db), "query", "liquidation_level_calibration", "-p", "symbol", "BTC", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = {(row["day"], row["side"]): row for row in json.loads(done.stdout)}
    assert set(got) == {("2026-03-01", "long"), ("2026-03-02", "long")}
    day1 = got[("2026-03-01", "long")]
    assert Decimal(day1["realized_usd"]) == Decimal("154400.00")
    assert Decimal(day1["realized_in_levels_usd"]) == Decimal("54400.00")
    assert day1["realized_hit_share"] == pytest.approx(round(54400 / 154400, 4))
    day2 = got[("2026-03-02", "long")]
    assert Decimal(day2["estimated_traded_usd"]) == Decimal("300000.00")
    assert Decimal(day2["estimated_confirmed_usd"]) == Decimal("300000.00") and day2["estimated_hit_share"] == 1.0
    assert day2["realized_hit_share"] == 1.0
