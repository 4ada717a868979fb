"""Liquidations in named queries, signals, the report and the chart, on tests/support/dataset.py plus
liquidations, stream coverage and estimated levels inserted by hand (days d are dataset.day(d), 2026-01-01 + d).

Coverage: OKX's all-market stream is connected from day 30 00:00 to day 39 00:00 (24 h on days 30-38); Binance's
three intervals overlap (day 38 20:00 - day 39 06:00, day 39 05:00-10:00 and 07:00-08:00: 4 h on day 38, 10 h on
day 39 as a union, 15 h if they were added); Bybit's BTC stream covers day 39 12:00-18:00. Any venue, BTC: 24 h
on days 30-38, 16 h on day 39 (00-10 and 12-18).
Realized BTC: OKX longs of 100, 200, 100, … on days 30-37 (price 100, qty 1 or 2) and 1,000 on day 38 with
400 of shorts; on day 39 Binance longs 140.25 × 2 and 139.10 × 1, a Binance short 140.00 × 1, a Bybit short
141.00 × 0.5. Levels: snapshots at day 34 00:00 and 12:00 (the later one counts).
"""

from __future__ import annotations

import json
import math
import struct
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import dataset
from tests.support.dataset import MILLION, day
from tests.support.helpers import query_json, rows, run_cli

D39 = str(day(39))


@pytest.fixture(scope="module")
def liq_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("liq") / "l.duckdb"
    dataset.build(db)
    dataset.add_liquidations(db)
    done = run_cli("--db", str(db), "signals")
    assert done.returncode == 0, done.stderr
    return db


def test_daily_coverage_is_a_union_clipped_to_days(liq_db: Path) -> None:
    daily = query_json(liq_db, "liquidations_daily", "since", str(day(37)), "until", D39)
    found = {(r["day"], r["venue"], r["side"]): r for r in daily if r["symbol"] == "BTC"}
    # An interval covers the symbols kept from it: Binance kept ETH alone 09:00-23:00 on day 39, which is
    # ETH's coverage (with the 07:00-08:00 row written before the symbols column: every symbol), not BTC's.
    assert {r["coverage_hours"] for r in daily if r["symbol"] == "ETH" and r["venue"] == "binance" and r["day"] == D39} \
        == {15.0}
    # Binance: overlapping intervals count once (10 h on day 39, not 15); the one crossing midnight splits 4 + 6.
    assert found[(str(day(38)), "binance", "long")]["coverage_hours"] == 4.0
    assert found[(D39, "binance", "long")]["coverage_hours"] == 10.0
    assert found[(D39, "bybit", "short")]["coverage_hours"] == 6.0
    # Exact sums: 140.25 × 2 + 139.10 × 1.
    assert Decimal(found[(D39, "binance", "long")]["notional_usd"]) == Decimal("419.60")
    assert found[(D39, "binance", "long")]["count"] == 2
    # Zero under full coverage is real: OKX shorts on day 37, 24 h watched, a complete figure.
    okx = found[(str(day(37)), "okx", "short")]
    assert (okx["count"], Decimal(okx["notional_usd"]), okx["coverage_hours"], okx["lower_bound"]) == (0, 0, 24.0, False)
    # Watched 4 h with nothing: zero, but a lower bound; Binance always is.
    quiet = found[(str(day(38)), "binance", "short")]
    assert (quiet["count"], quiet["lower_bound"]) == (0, True)
    assert found[(D39, "binance", "long")]["lower_bound"] is True
    assert found[(D39, "bybit", "short")]["lower_bound"] is True  # 6 of 24 h
    # No coverage and nothing stored: no row (unknown), not a zero.
    assert (D39, "okx", "long") not in found
    assert not query_json(liq_db, "liquidations_daily", "since", str(day(29)), "until", str(day(29)))
    assert rows(liq_db, "SELECT symbol, coverage_hours FROM liquidation_coverage_by_day WHERE venue = '(any)' "
                        "AND day = ? ORDER BY symbol", [day(39)]) == [("BTC", 16.0), ("ETH", 15.0)]


def test_clusters_bucket_by_a_share_of_the_mean_price(liq_db: Path) -> None:
    # Reference: (280.5 + 139.1 + 140 + 70.5) / 4.5 coins = 140.02; 1 % of it = 1.4002 → 1.4 (two digits).
    found = query_json(liq_db, "liquidation_clusters", "symbol", "BTC", "since", D39, "until", D39, "bucket_pct", "1")
    got = [(r["side"], Decimal(r["price_low"]), Decimal(r["price_high"]), r["count"], Decimal(r["notional_usd"]),
            r["share"], r["lower_bound"]) for r in found]
    assert got == [
        ("long", Decimal("138.6"), Decimal("140.0"), 1, Decimal("139.1"), pytest.approx(139.1 / 419.6), True),
        ("long", Decimal("140.0"), Decimal("141.4"), 1, Decimal("280.5"), pytest.approx(280.5 / 419.6), True),
        # 140.00 sits exactly on an edge: the upper bucket, with Bybit's 141.00
        ("short", Decimal("140.0"), Decimal("141.4"), 2, Decimal("210.5"), 1.0, True),
    ]


def _signal(db: Path, d: int) -> dict:
    names = ("rules", "reasons", "missing", "confidence", "score", "long_liq_usd", "short_liq_usd", "liq_ratio",
             "long_liq_z", "liq_coverage_hours", "est_levels_2pct_usd", "est_levels_5pct_usd")
    ((found),) = rows(db, f"SELECT {', '.join(names)} FROM signals WHERE scope = 'all' AND day = ?", [day(d)])
    return dict(zip(names, found))


def test_long_flush_with_falling_oi_is_deleveraging(liq_db: Path) -> None:
    flush = _signal(liq_db, 38)
    trailing = [100, 200] * 4  # days 30-37
    mean = sum(trailing) / 8
    sd = math.sqrt(sum((x - mean) ** 2 for x in trailing) / 7)
    assert flush["long_liq_z"] == pytest.approx((1000 - mean) / sd)
    assert (flush["long_liq_usd"], flush["short_liq_usd"], flush["liq_ratio"]) == (1000, 400, 2.5)
    assert flush["liq_coverage_hours"] == 24.0
    # OI 800M against 1,000M 7 days before: -20 % ≤ -10 %.
    assert flush["rules"] == "fresh_issuance,risk_off_outflow,long_flush" and flush["score"] == 0.5
    assert (f"long liquidation flush: at least $1.00K of longs liquidated, z {(1000 - mean) / sd:+.2f} against the "
            "trailing 30 days (≥ +2.00), with OI -20.0% over 7 days (≤ -10%) → deleveraging, bottoming setup (+1.0)"
            ) in flush["reasons"]
    # Day 37: z (200 - 142.9) / 53.5 = +1.07 < 2 with the same OI fall: no flush.
    assert "long_flush" not in _signal(liq_db, 37)["rules"]


def test_large_levels_near_price_with_hot_funding_is_fragile(liq_db: Path) -> None:
    fragile = _signal(liq_db, 34)
    # Close 134: 100M + 50M within ±2 %, + 70M within ±5 %; the 00:00 snapshot is superseded.
    assert (fragile["est_levels_2pct_usd"], fragile["est_levels_5pct_usd"]) == (150 * MILLION, 220 * MILLION)
    assert fragile["rules"] == "fresh_issuance,leverage_buildup,fragile_levels" and fragile["score"] == -1.0
    assert ("fragile: an estimated $150.00M of positions would be liquidated within ±2% of the close (12.5% of OI "
            "≥ 10%; a model estimate) with funding 21.9% annualized (≥ 15%) → fragile (-1.0)") in fragile["reasons"]
    # Above the threshold share, the rule stays silent.
    done = run_cli("--db", str(liq_db), "signals", env={"TRACKER_SIGNAL_LEVELS_NEAR_SHARE": "0.13"})
    assert done.returncode == 0, done.stderr
    assert "fragile_levels" not in _signal(liq_db, 34)["rules"]
    assert run_cli("--db", str(liq_db), "signals").returncode == 0


def test_partial_or_missing_coverage_is_named_and_lowers_confidence(liq_db: Path) -> None:
    partial = _signal(liq_db, 39)
    assert "liquidations covered 16.0 of 24 h (< 20 h: the BTC totals are a lower bound)" in partial["missing"]
    # 5 of the 6 older inputs (no OI 7-day change), liquidations 16/24, no level snapshot, no options, no DVOL: of 10.
    assert partial["confidence"] == pytest.approx((5 + 16 / 24) / 10, abs=1e-4)
    assert partial["long_liq_usd"] == Decimal("419.6")  # a lower bound, shown, not dropped
    early = _signal(liq_db, 29)  # before any stream: unknown, not 0
    assert early["long_liq_usd"] is None and early["liq_coverage_hours"] is None
    assert "liquidations (no BTC liquidation stream covered the day and none are stored)" in early["missing"]
    first = _signal(liq_db, 30)  # covered, but no trailing covered day yet
    assert "long-liquidation z-score (0 of the trailing 30 days covered ≥ 20 h, 7 needed)" in first["missing"]
    assert first["long_liq_usd"] == 100 and first["long_liq_z"] is None


def test_report_section(liq_db: Path) -> None:
    text = run_cli("--db", str(liq_db), "report", "--date", D39).stdout
    section = text[text.index("\nliquidations\n"):text.index("\nlabel coverage\n")]
    assert "BTC     binance  long       2       $419.60  covered 10.0 of 24 h  lower bound" in section
    assert "BTC     bybit    short      1        $70.50   covered 6.0 of 24 h  lower bound" in section
    assert "Binance pushes at most the latest liquidation per symbol per second" in " ".join(section.split())
    assert "okx" not in section  # not covered on day 39: absent, not zero
    # Day 39's clusters at the report's 0.5 %: width 0.70 (0.7001 to two digits); 140.00 / 210.50 of the shorts,
    # Bybit's 141.00 alone in [140.70, 141.40): no Binance in it, no lower-bound mark.
    assert "BTC     short     140.00      140.70      1       $140.00  66.51%  lower bound" in section
    assert "BTC     short     140.70      141.40      1        $70.50  33.49%\n" in section
    assert "no estimated liquidation levels for 2026-02-09" in section
    levels = json.loads(run_cli("--db", str(liq_db), "report", "--date", str(day(34)), "--format", "json").stdout)
    near = [(r["position"], r["side"], r["price_low"], r["est_notional_usd"])
            for r in levels["sections"]["estimated liquidation levels"]]
    assert near == [("below", "long", "133.000000000000", "100000000.00"),
                    ("below", "long", "120.000000000000", "999000000.00"),
                    ("above", "short", "135.000000000000", "50000000.00"),
                    ("above", "short", "138.000000000000", "70000000.00")]
    assert "ESTIMATE" in levels["section_notes"]["estimated liquidation levels"][0]
    assert "2026-02-04 12:00 UTC" in levels["section_notes"]["estimated liquidation levels"][0]
    md = run_cli("--db", str(liq_db), "report", "--date", str(day(34)), "--format", "md").stdout
    assert "## liquidations\n\n| symbol | venue | side |" in md and "## estimated liquidation levels" in md


def test_heatmap_png_and_the_empty_case(liq_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "last90.png"
    done = run_cli("--db", str(liq_db), "report", "--date", D39, "--format", "md", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    heatmap = tmp_path / "last90-liquidations.png"
    assert f"liquidation heatmap: 2 snapshots of BTC written to {heatmap}" in done.stderr
    data = heatmap.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1200, 500)
    import matplotlib.image

    assert matplotlib.image.imread(str(heatmap)).shape[:2] == (500, 1200)  # decodes
    bare = tmp_path / "bare.duckdb"
    dataset.build(bare)
    assert run_cli("--db", str(bare), "signals").returncode == 0
    empty = tmp_path / "empty.png"
    done = run_cli("--db", str(bare), "report", "--date", D39, "--format", "md", "--chart", str(empty))
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("liquidation heatmap")]
    assert said == [f"liquidation heatmap: no estimated liquidation levels for BTC between {day(39) - timedelta(days=89)} "
                    f"and {D39}: nothing drawn (`tracker market levels` builds them)"]
    assert empty.exists() and not (tmp_path / "empty-liquidations.png").exists()
