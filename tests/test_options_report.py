"""Options in named queries, signals, the report and the chart, on tests/support/dataset.py plus option chains and
DVOL candles inserted by hand (days d are dataset.day(d), 2026-01-01 + d; day 39 is 2026-02-09).

Deribit BTC, day 39: a snapshot at 08:00 (superseded: one 88000 call of 999 coins) and the one that counts at 20:00;
another at day 40 01:00 (the next day's). OKX BTC, day 39 12:00: one 88000 call of 5 coins (expiry A). Deribit's
20:00 chain (strike: call OI / put OI, coins):
  A 2026-02-13 08:00, underlying 88000: 84000: 10/40, 86000: 20/60, 88000: 30/20, 90000: 50/12, 92000: 40/-
  B 2026-02-27 08:00, underlying 88100: 80000: 5/100, 88000: 10/10, 100000: 100/5
  C 2026-03-27 08:00, underlying 88500: 120000: 200/-, 70000: -/50 (no mark IV)
Mark IV: 0.5 on A but the 90000 call (0.6) and OKX's call (0.52); 0.55 on B; 0.7 on C's call.
DVOL (Deribit, '1D'): BTC closes 50 on day 27, 66 on day 34, 50 on day 32 and 60 on day 39.
"""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import dataset
from tests.support.dataset import EXPIRY_A, EXPIRY_B, EXPIRY_C, at, day
from tests.support.helpers import query_json, rows, run_cli
from tracker.analytics.signals import Features, Thresholds, judge

D39 = str(day(39))
@pytest.fixture(scope="module")
def opt_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("opt") / "o.duckdb"
    dataset.build(db)
    dataset.add_options(db)
    done = run_cli("--db", str(db), "signals")
    assert done.returncode == 0, done.stderr
    return db


def test_max_pain_per_expiry_by_hand(opt_db: Path) -> None:
    found = {r["expiry"]: r for r in query_json(opt_db, "options_max_pain", "underlying", "BTC", "day", D39)}
    assert list(found) == [EXPIRY_A, EXPIRY_B, EXPIRY_C]
    # Expiry A, payout if it settles at S (calls: (S - K) × OI over K < S; puts: (K - S) × OI over K > S):
    #   S 84000: puts 2000×60 + 4000×20 + 6000×12                    = 120000 + 80000 + 72000  = 272000
    #   S 86000: calls 2000×10; puts 2000×20 + 4000×12                = 20000 + 40000 + 48000   = 108000
    #   S 88000: calls 4000×10 + 2000×20 (OKX's 88000 call pays 0); puts 2000×12 = 40000+40000+24000 = 104000
    #   S 90000: calls 6000×10 + 4000×20 + 2000×(30 + 5)             = 60000 + 80000 + 70000   = 210000
    #   S 92000: calls 8000×10 + 6000×20 + 4000×35 + 2000×50         = 440000
    a = found[EXPIRY_A]
    assert (Decimal(a["max_pain"]), Decimal(a["max_pain_payout_usd"])) == (88000, 104000)
    # Expiry B: S 80000: 8000×10 + 20000×5 = 180000; S 88000: 8000×5 + 12000×5 = 100000;
    #   S 100000: 20000×5 + 12000×10 = 220000
    assert (Decimal(found[EXPIRY_B]["max_pain"]), Decimal(found[EXPIRY_B]["max_pain_payout_usd"])) == (88000, 100000)
    # Expiry C: the 120000 call and the 70000 put pay nothing at either strike: a tie, the lower strike.
    assert (Decimal(found[EXPIRY_C]["max_pain"]), Decimal(found[EXPIRY_C]["max_pain_payout_usd"])) == (70000, 0)
    # A: calls 10+20+30+50+40 + OKX 5 = 155, puts 40+60+20+12 = 132; the 08:00 snapshot's 999 is not counted.
    assert (Decimal(a["call_oi"]), Decimal(a["put_oi"])) == (155, 132)
    assert a["put_call_ratio"] == pytest.approx(132 / 155)
    # IV over A: 0.5 × (10+20+30+40 + 40+60+20+12) + 0.6 × 50 + 0.52 × 5 = 116 + 30 + 2.6 = 148.6 over 287 coins
    assert a["iv_oi_weighted"] == pytest.approx(148.6 / 287)
    # C's put has no mark IV: weighted over the call alone, not read as 0 %.
    assert found[EXPIRY_C]["iv_oi_weighted"] == pytest.approx(0.7)
    assert Decimal(a["oi_usd"]) == 287 * 88000 and Decimal(found[EXPIRY_B]["oi_usd"]) == 230 * 88100
    assert a["share_of_oi"] == pytest.approx(287 / 767)


def test_by_strike_takes_each_venues_last_snapshot_of_the_day(opt_db: Path) -> None:
    strikes = {Decimal(r["strike"]): r for r in query_json(opt_db, "options_by_strike", "underlying", "BTC",
                                                       "expiry", EXPIRY_A, "day", D39)}
    assert sorted(strikes) == [84000, 86000, 88000, 90000, 92000]
    at_the_money = strikes[Decimal(88000)]
    # Deribit's 20:00 call of 30 (not 08:00's 999, not day 40's 777) + OKX's 12:00 call of 5
    assert (Decimal(at_the_money["call_oi"]), Decimal(at_the_money["put_oi"])) == (35, 20)
    assert Decimal(at_the_money["call_oi_usd"]) == 35 * 88000 and Decimal(at_the_money["oi_usd"]) == 55 * 88000
    assert at_the_money["venues"] == "deribit 50, okx 5"
    every = query_json(opt_db, "options_by_strike", "underlying", "BTC", "day", D39)
    assert len(every) == 5 + 3 + 2 and {r["expiry"] for r in every} == {EXPIRY_A, EXPIRY_B, EXPIRY_C}
    # The next day: Deribit's 01:00 chain alone (OKX took none): 777 coins at 88000.
    later = query_json(opt_db, "options_by_strike", "day", str(day(40)))
    assert [(Decimal(r["strike"]), Decimal(r["call_oi"])) for r in later] == [(88000, 777)]
    assert query_json(opt_db, "options_by_strike", "day", str(day(38))) == []  # no snapshot that day: no rows


def test_daily_summary_by_hand(opt_db: Path) -> None:
    (summary,) = query_json(opt_db, "options_summary", "underlying", "BTC", "since", D39, "until", D39)
    assert summary["venues"] == 2 and summary["snapshot_ts"].startswith("2026-02-09T20:00")
    assert Decimal(summary["spot"]) == 88000  # the nearest expiry (A) was priced against 88000
    # calls 155 + 115 + 200 = 470, puts 132 + 115 + 50 = 297
    assert (Decimal(summary["call_oi"]), Decimal(summary["put_oi"]), Decimal(summary["oi"])) == (470, 297, 767)
    assert summary["put_call_ratio"] == pytest.approx(297 / 470)
    # IV: A 148.6 + B 0.55 × 230 + C 0.7 × 200 over 287 + 230 + 200 coins (C's put has none)
    assert summary["iv_oi_weighted"] == pytest.approx((148.6 + 126.5 + 140) / 717)
    assert Decimal(summary["oi_usd"]) == 287 * 88000 + 230 * 88100 + 250 * 88500 == 67_644_000
    # Within ±10 % of 88000 (79200-96800), by strike: 80000: 5+100 = 105, 86000: 80, 88000: 30+20+5 + 10+10 = 75,
    # 90000: 62, 84000: 50, 92000: 40 (100000 is 13.6 % away)
    assert summary["key_strikes"] == "80000, 86000, 88000" and Decimal(summary["key_strike_oi"]) == 105
    # Within ±5 % (83600-92400): all of A (287) and B's 88000 (20)
    assert Decimal(summary["oi_within_5pct"]) == 307 and summary["oi_within_5pct_share"] == pytest.approx(307 / 767)
    # Expiring before 2026-02-17 00:00: A only
    assert Decimal(summary["oi_expiring_7d"]) == 287 and Decimal(summary["oi_expiring_7d_usd"]) == 287 * 88000
    # DVOL 60 against 50 seven days before
    assert Decimal(summary["dvol"]) == 60 and summary["dvol_change_7d"] == pytest.approx(0.2)
    (dvol_only,) = query_json(opt_db, "options_summary", "since", str(day(34)), "until", str(day(34)))
    assert dvol_only["dvol_change_7d"] == pytest.approx(66 / 50 - 1) and dvol_only["oi"] is None  # unknown, not 0


def _signal(db: Path, d: int) -> dict:
    names = ("rules", "reasons", "missing", "confidence", "score", "options_oi_usd", "options_near_share",
             "put_call_ratio", "options_iv", "dvol", "dvol_change_7d")
    ((found),) = rows(db, f"SELECT {', '.join(names)} FROM signals WHERE scope = 'all' AND day = ?", [day(d)])
    return dict(zip(names, found))


def test_pinning_rule_and_options_features(opt_db: Path) -> None:
    pinned = _signal(opt_db, 39)
    assert pinned["options_near_share"] == pytest.approx(307 / 767) and pinned["options_oi_usd"] == 67_644_000
    assert pinned["put_call_ratio"] == pytest.approx(297 / 470) and pinned["dvol"] == 60
    assert pinned["rules"] == "risk_off_outflow,options_pinning" and pinned["score"] == -2.0
    assert ("options open interest concentrated near spot: 40.0% of $67.64M at strikes within ±5% of spot (≥ 30%) "
            "→ pinning, then cascade risk once price leaves those strikes (-0.5)") in pinned["reasons"]
    # Options and DVOL present: 7 of 10 inputs (no OI change, liquidations, levels), against 5 of 10 without them
    assert pinned["confidence"] == pytest.approx(7 / 10)
    assert "options (" not in pinned["missing"] and "DVOL" not in pinned["missing"]
    done = run_cli("--db", str(opt_db), "signals", env={"TRACKER_SIGNAL_OPTIONS_NEAR_SHARE": "0.41"})
    assert done.returncode == 0, done.stderr
    assert "options_pinning" not in _signal(opt_db, 39)["rules"]  # 40.0 % < 41 %
    assert run_cli("--db", str(opt_db), "signals").returncode == 0


def test_dvol_rising_with_hot_funding_is_fragile(opt_db: Path) -> None:
    fragile = _signal(opt_db, 34)
    # DVOL 66 against 50 on day 27: +32 % ≥ 15 %, funding 0.0002 × 3 × 365 = 21.9 % ≥ 15 %
    assert fragile["rules"] == "fresh_issuance,leverage_buildup,vol_fragility" and fragile["score"] == -1.0
    assert ("implied volatility rising with hot funding: DVOL 66.0, +32.0% over 7 days (≥ +15%), funding 21.9% "
            "annualized (≥ 15%) → fragile (-1.0)") in fragile["reasons"]
    # DVOL without a snapshot: the options input is missing and named, DVOL counts
    assert "options (no BTC options snapshot for the day)" in fragile["missing"]
    # Day 39's DVOL rose 20 % but funding is negative: no fragility
    assert "vol_fragility" not in _signal(opt_db, 39)["rules"]
    # Day 32: a candle but none on day 25: named
    assert "DVOL 7-day change (no BTC DVOL candle 7 days before)" in _signal(opt_db, 32)["missing"]


def _features(**values) -> Features:
    base = dict(scope="all", day=day(39), netflow=Decimal(0), netflow_z=0.0, z_days=30, net_issuance_7d=Decimal(0),
                reserve_change_pct=None, funding_annualized=0.1, oi_change_7d=0.0, oi_drawdown_90d=0.0,
                long_short_ratio=1.0, close=None, chains=1, chains_synced=1, complete=True,
                long_liq_usd=Decimal(1), liq_coverage_hours=24.0, liq_z_days=30, long_liq_z=0.0,
                est_levels_2pct_usd=Decimal(0), oi_usd=Decimal(1), options_snapshot_ts=at(39, 20),
                options_near_share=0.1, put_call_ratio=0.7, dvol=Decimal(50), dvol_change_7d=0.0)
    base.update(values)
    return Features(**base)


@pytest.mark.parametrize("values, fired, score", [
    (dict(put_call_ratio=1.0), "put_call_fear", 0.5),  # at the threshold: fires
    (dict(put_call_ratio=0.9999), "", 0.0),
    (dict(put_call_ratio=0.4), "put_call_complacency", -0.5),
    (dict(put_call_ratio=0.4001), "", 0.0),
    (dict(options_near_share=0.30), "options_pinning", -0.5),
    (dict(options_near_share=0.2999), "", 0.0),
    (dict(dvol_change_7d=0.15, funding_annualized=0.15), "vol_fragility", -1.0),
    (dict(dvol_change_7d=0.1499, funding_annualized=0.15), "", 0.0),
    (dict(dvol_change_7d=0.5, funding_annualized=0.1499), "", 0.0),
    (dict(dvol_change_7d=0.5, funding_annualized=None), "", 0.0),  # funding unknown, not 0
])
def test_options_rule_boundaries(values: dict, fired: str, score: float) -> None:
    verdict = judge(_features(**values), Thresholds.from_settings(), "BTC")
    assert (",".join(verdict.rules), verdict.score) == (fired, score)
    assert verdict.confidence == 1.0 or values.get("funding_annualized", 0.1) is None


def test_missing_options_and_dvol_are_named_and_lower_confidence() -> None:
    limits = Thresholds.from_settings()
    full = judge(_features(), limits, "BTC")
    assert full.missing == [] and full.confidence == 1.0
    bare = judge(_features(options_snapshot_ts=None, options_near_share=None, put_call_ratio=None, dvol=None,
                           dvol_change_7d=None), limits, "BTC")
    assert bare.missing == ["options (no BTC options snapshot for the day)",
                            "DVOL 7-day change (no BTC DVOL candle for the day)"]
    assert bare.confidence == 8 / 10 and bare.rules == []
    # A missing put/call is not an extreme: no put/call rule, whatever the thresholds
    assert "put_call" not in ",".join(judge(_features(put_call_ratio=None), replace(limits, put_call_low=0.9),
                                            "BTC").rules)


def test_evaluate_includes_the_new_rules(opt_db: Path) -> None:
    done = run_cli("--db", str(opt_db), "signals", "evaluate", "--horizons", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = {(row["kind"], row["group"]): row for row in json.loads(done.stdout)}
    # vol_fragility fired on day 34 (close 134); day 35 closed 135: up, against a rule that expects a fall
    fragile = found[("rule", "vol_fragility")]
    assert fragile["days"] == 1 and fragile["mean_return"] == pytest.approx(135 / 134 - 1)
    assert fragile["hit_rate"] == 0.0
    # its baseline is the share of days that fell: none in this dataset (closes rise every day)
    assert fragile["baseline_hit_rate"] == 0.0
    # A rule of positive weight is judged on rises: fresh_issuance fired days 32-38; closes on d and d+1 for
    # 33-37 (no close on day 32), and 38 → 39
    issuance = found[("rule", "fresh_issuance")]
    assert issuance["days"] == 6 and issuance["hit_rate"] == 1.0 and issuance["baseline_hit_rate"] == 1.0
    assert "warning: rule vol_fragility at 1d: only 1 days — too few to judge" in done.stderr
    # With a positive weight the same days count as hits
    flipped = run_cli("--db", str(opt_db), "signals", "evaluate", "--horizons", "1", "--format", "json",
                      env={"TRACKER_SIGNAL_WEIGHT_VOL_FRAGILITY": "0.5"})
    assert {(r["kind"], r["group"]): r for r in json.loads(flipped.stdout)}[("rule", "vol_fragility")]["hit_rate"] == 1.0


def test_report_section(opt_db: Path) -> None:
    text = run_cli("--db", str(opt_db), "report", "--date", D39).stdout
    section = text[text.index("\noptions\n"):text.index("\nlabel coverage\n")]
    assert "snapshot_ts         2026-02-09 20:00 UTC" in section
    assert "key_strikes          80000, 86000, 88000" in section
    assert "put_call_ratio                      0.63" in section  # 297 / 470
    assert "iv_oi_weighted                    57.89%" in section  # 415.1 / 717
    assert "oi_expiring_7d_usd               $25.26M" in section  # 287 × 88000
    assert "dvol_change_7d                   +20.00%" in section
    assert "max_pain         88,000.00   88,000.00   70,000.00" in section
    report = json.loads(run_cli("--db", str(opt_db), "report", "--date", D39, "--format", "json").stdout)
    (btc,) = report["sections"]["options"]
    assert btc["oi_usd"] == "67644000.000000000000000000" and btc["key_strikes"] == "80000, 86000, 88000"
    assert [r["expiry"] for r in report["sections"]["options max pain"]] == [EXPIRY_A, EXPIRY_B, EXPIRY_C]
    # Day 34: DVOL but no chain: the row says the chain figures are unknown, in one line
    dvol_day = json.loads(run_cli("--db", str(opt_db), "report", "--date", str(day(34)), "--format", "json").stdout)
    assert dvol_day["sections"]["options"][0]["oi_usd"] is None
    assert dvol_day["section_notes"]["options"][0] == (
        "no BTC options snapshot for 2026-02-04: chain figures unknown (`tracker market sync --options` takes one)")
    assert "options max pain" not in dvol_day["sections"]
    md = run_cli("--db", str(opt_db), "report", "--date", D39, "--format", "md").stdout
    assert "## options\n\n| underlying | snapshot_ts | spot |" in md and "## options max pain" in md


def test_options_chart_png_and_the_empty_case(opt_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "last90.png"
    done = run_cli("--db", str(opt_db), "report", "--date", D39, "--format", "md", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    chart = tmp_path / "last90-options.png"
    # the nearest expiry after the day holding ≥ 10 % of OI: A (287 of 767 coins)
    assert f"options chart: BTC expiry {EXPIRY_A}, 5 strikes written to {chart}" in done.stderr
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 500)
    import matplotlib.image

    assert matplotlib.image.imread(str(chart)).shape[:2] == (500, 1200)  # decodes
    empty = tmp_path / "empty.png"
    done = run_cli("--db", str(opt_db), "report", "--date", str(day(38)), "--chart", str(empty))
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("options chart")]
    assert said == [f"options chart: no BTC options snapshot for {day(38)} with an expiry after it holding ≥ 10% of "
                    "OI: nothing drawn (`tracker market sync --options` takes one)"]
    assert not (tmp_path / "empty-options.png").exists()
