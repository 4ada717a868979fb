"""Signals, their evaluation, and config — on the hand-built dataset of tests/support/dataset.py."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import dataset
from tests.support.dataset import day
from tests.support.helpers import file_digest, rows, run_cli
from tracker.analytics.signals import Features, Thresholds, classify, judge, next_regime


@pytest.fixture
def built(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    dataset.build(db)
    return db


def signals_of(db: Path, scope: str = "all") -> dict[date, dict]:
    found = rows(db, "SELECT day, regime, shift, score, rules, reasons, missing, confidence, netflow_z, "
                     "net_issuance_7d, reserve_change_pct FROM signals WHERE scope = ? ORDER BY day", [scope])
    names = ("regime", "shift", "score", "rules", "reasons", "missing", "confidence", "netflow_z", "net_issuance_7d",
             "reserve_change_pct")
    return {row[0]: dict(zip(names, row[1:])) for row in found}


def test_each_rule_fires_on_its_known_days(built: Path) -> None:
    done = run_cli("--db", str(built), "signals", "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert {row["scope"] for row in printed} == {"all", "ethereum", "tron"}
    signals = signals_of(built)
    assert len(signals) == 41
    # Days 0-29: no rule fires (the z-score of ±1M never reaches +1; funding 10.95 % is not hot).
    assert {signals[day(d)]["regime"] for d in range(30)} == {"neutral"}
    assert all(signals[day(d)]["rules"] == "" for d in range(30))
    expected = {  # day: (rules, score, regime, shift)
        30: ("liquidity_inflow", 1.0, "risk_on", True),
        31: ("", 0.0, "neutral", True),
        32: ("fresh_issuance", 1.0, "risk_on", True),  # no market data that day: issuance alone
        33: ("fresh_issuance", 1.0, "risk_on", False),
        34: ("fresh_issuance,leverage_buildup", 0.0, "neutral", True),  # 21.9 % funding, OI +20 % in 7 days
        35: ("fresh_issuance,leverage_buildup", -0.5, "neutral", False),  # …and long-heavy (1.6): -1.5
        36: ("fresh_issuance,deleveraged", 2.0, "risk_on", True),  # OI 36 % under its high, funding 1.1 %
        37: ("fresh_issuance,deleveraged", 2.0, "risk_on", False),
        38: ("fresh_issuance,risk_off_outflow", -0.5, "neutral", True),  # funding -5.5 %, netflow z ≤ -1
        39: ("risk_off_outflow", -1.5, "risk_off", True),  # the day-32 issuance has left the 7-day window
        40: ("", 0.0, "neutral", True),
    }
    for d, (rules, score, regime, shift) in expected.items():
        found = signals[day(d)]
        assert (found["rules"], found["score"], found["regime"], found["shift"]) == (rules, score, regime, shift), d
    # Day 30: trailing 30 days are 15 × +1M and 15 × -1M: mean 0, sample sd sqrt(30/29) M.
    assert signals[day(30)]["netflow_z"] == pytest.approx(6 / math.sqrt(30 / 29))
    assert "netflow $6.00M, z +5.90" in signals[day(30)]["reasons"]
    assert signals[day(33)]["net_issuance_7d"] == Decimal("600000000")
    assert signals[day(39)]["net_issuance_7d"] == 0
    # Day 39: reserves 110M after 114M the day before (ExA -7M, ExB +3M).
    assert signals[day(39)]["reserve_change_pct"] == pytest.approx(110 / 114 - 1)
    assert "long/short 1.60" in signals[day(35)]["reasons"]


def test_missing_inputs_are_named_and_lower_confidence(built: Path) -> None:
    run_cli("--db", str(built), "signals")
    signals = signals_of(built)
    early = signals[day(3)]
    assert "netflow z-score (3 of the trailing 30 days synced, 7 needed)" in early["missing"]
    assert "1 of 2 chains not synced for the day" in early["missing"]  # Tron starts on day 38
    assert "OI 7-day change (no BTC open interest for the day or for 7 days before)" in early["missing"]
    # z, the OI change, liquidations, estimated levels, options and DVOL missing: 4 of the 10 inputs, × 1 of 2 chains
    assert early["confidence"] == pytest.approx(4 / 10 * 1 / 2, abs=1e-4)
    no_market = signals[day(32)]
    assert "funding (no BTC funding rate for the day)" in no_market["missing"]
    assert no_market["confidence"] == pytest.approx(2 / 10 * 1 / 2, abs=1e-4)
    # Missing funding is not read as 0: with 0 and OI 36 % down the washed-out rule would have fired.
    # No liquidation data in this dataset: named, never read as zero (tests/test_liquidation_report.py has some).
    assert signals[day(39)]["missing"] == (
        "OI 7-day change (no BTC open interest for the day or for 7 days before); "
        "liquidations (no BTC liquidation stream covered the day and none are stored); "
        "estimated liquidation levels (no BTC model snapshot for the day); "
        "options (no BTC options snapshot for the day); DVOL 7-day change (no BTC DVOL candle for the day)")
    assert signals[day(38)]["confidence"] == 6 / 10
    assert "the day is not synced to its end" in signals[day(40)]["missing"]
    tron = signals_of(built, "tron")
    assert sorted(tron) == [day(38), day(39), day(40)]


def test_recomputing_changes_nothing(built: Path) -> None:
    run_cli("--db", str(built), "signals")
    first = rows(built, "SELECT * FROM signals ORDER BY scope, day")
    again = run_cli("--db", str(built), "signals", "--since", "2026-02-01", "--until", "2026-02-02", "--format", "csv")
    assert again.returncode == 0
    assert [line.split(",")[:2] for line in again.stdout.splitlines()[1:]] == [
        ["all", "2026-02-01"], ["ethereum", "2026-02-01"], ["all", "2026-02-02"], ["ethereum", "2026-02-02"]]
    assert rows(built, "SELECT * FROM signals ORDER BY scope, day") == first


def test_thresholds_come_from_tracker_toml_and_env_overrides_it(built: Path, tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text("[signals]\nnetflow_z_inflow = 6.0\nissuance_7d_usd = 700000000\n")
    done = run_cli("--db", str(built), "--config", str(config), "signals")
    assert done.returncode == 0, done.stderr
    signals = signals_of(built)
    assert signals[day(30)]["regime"] == "neutral"  # z 5.90 < 6
    assert "fresh_issuance" not in signals[day(33)]["rules"]
    done = run_cli("--db", str(built), "signals", env={"TRACKER_CONFIG": str(config),
                                                        "TRACKER_SIGNAL_NETFLOW_Z_INFLOW": "5.5"})
    assert done.returncode == 0, done.stderr
    assert signals_of(built)[day(30)]["regime"] == "risk_on"  # env beats the file


def features(**values) -> Features:
    base = dict(scope="all", day=date(2026, 1, 1), netflow=Decimal(0), netflow_z=0.0, z_days=30,
                net_issuance_7d=Decimal(0), reserve_change_pct=None, funding_annualized=0.1, oi_change_7d=0.0,
                oi_drawdown_90d=0.0, long_short_ratio=1.0, close=None, chains=1, chains_synced=1, complete=True)
    base.update(values)
    return Features(**base)


@pytest.mark.parametrize("values, fired", [
    (dict(funding_annualized=0.15, oi_change_7d=0.10), "leverage_buildup"),  # at the thresholds: fires
    (dict(funding_annualized=0.1499, oi_change_7d=0.10), ""),
    (dict(funding_annualized=0.15, oi_change_7d=0.0999), ""),
    (dict(oi_drawdown_90d=-0.20, funding_annualized=-0.05), "deleveraged"),
    (dict(oi_drawdown_90d=-0.1999, funding_annualized=0.0), ""),
    (dict(funding_annualized=-0.01, netflow_z=-1.0), "risk_off_outflow"),
    (dict(funding_annualized=0.0, netflow_z=-3.0), ""),  # not negative funding
    (dict(netflow_z=1.0), "liquidity_inflow"),
    (dict(netflow_z=1.0, z_days=6), ""),  # too few trailing days: not judged
    (dict(net_issuance_7d=Decimal("500000000")), "fresh_issuance"),
    (dict(net_issuance_7d=Decimal("499999999.999999")), ""),
    (dict(funding_annualized=None, oi_drawdown_90d=-0.5), ""),  # funding unknown, not 0
])
def test_rule_boundaries(values: dict, fired: str) -> None:
    verdict = judge(features(**values), Thresholds.from_settings(), "BTC")
    assert ",".join(verdict.rules) == fired


def test_hysteresis_keeps_a_regime_until_its_exit() -> None:
    limits = Thresholds.from_settings()
    scores = [1.0, 0.6, 0.5, 0.4, -0.9, -1.0, -0.6, -0.5, -0.4, 1.2, -1.2]
    regimes, previous = [], "neutral"
    for score in scores:
        previous = next_regime(previous, score, limits)
        regimes.append(previous)
    assert regimes == ["risk_on", "risk_on", "risk_on", "neutral", "neutral", "risk_off", "risk_off", "risk_off",
                       "neutral", "risk_on", "risk_off"]
    # Through classify: shift marks exactly the days the regime changed (never the first day).
    days = [features(day=date(2026, 1, d + 1), net_issuance_7d=Decimal(amount))
            for d, amount in enumerate(["0", "6e8", "6e8", "0"])]
    tight = replace(limits, exit_risk_on=0.5)
    classified = classify(days, tight, "BTC")
    assert [(row[13], row[14]) for row in classified] == [("neutral", False), ("risk_on", True), ("risk_on", False),
                                                          ("neutral", True)]


def test_evaluate_by_hand(built: Path) -> None:
    run_cli("--db", str(built), "signals")
    done = run_cli("--db", str(built), "signals", "evaluate", "--symbol", "BTC", "--horizons", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = {(row["kind"], row["group"]): row for row in json.loads(done.stdout)}
    close = lambda d: 100 + d  # noqa: E731
    # risk_on days with a close on the day and the next: 30, 33, 36, 37 (day 32 has no market data).
    returns = [close(d + 1) / close(d) - 1 for d in (30, 33, 36, 37)]
    risk_on = found[("regime", "risk_on")]
    assert risk_on["days"] == 4 and risk_on["mean_return"] == pytest.approx(sum(returns) / 4)
    assert risk_on["hit_rate"] == 1.0
    # Baseline: every day d with closes on d and d+1: 0-39 but 31, 32 (no close on 32) and 39 (none on 40).
    baseline_days = [d for d in range(40) if d not in (31, 32, 39)]
    baseline = found[("baseline", "all days")]
    assert baseline["days"] == len(baseline_days) == 37
    assert baseline["mean_return"] == pytest.approx(sum(close(d + 1) / close(d) - 1 for d in baseline_days) / 37)
    assert risk_on["excess_return"] == pytest.approx(risk_on["mean_return"] - baseline["mean_return"])
    shifts = found[("shift", "risk_on")]
    assert shifts["days"] == 2  # shifts into risk_on on days 30 and 36 (32 has no close)
    assert ("regime", "risk_off") not in found  # day 39 has no close on day 40
    assert "warning: regime risk_on at 1d: only 4 days — too few to judge" in done.stderr
    bad = run_cli("--db", str(built), "signals", "evaluate", "--horizons", "0,x")
    assert bad.returncode == 1 and bad.stderr.strip().startswith("error: invalid --horizons")


def test_evaluate_needs_signals_and_prices(built: Path) -> None:
    before = file_digest(built)
    done = run_cli("--db", str(built), "signals", "evaluate")
    assert done.returncode == 1 and "no signals for scope 'all': run `tracker signals` first" in done.stderr
    assert file_digest(built) == before
    run_cli("--db", str(built), "signals")
    computed = file_digest(built)
    done = run_cli("--db", str(built), "signals", "evaluate", "--symbol", "SOL")
    assert done.returncode == 1 and "no SOL prices" in done.stderr
    assert file_digest(built) == computed


def test_config_show_masks_secrets_and_names_sources(tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text('[ethereum]\nrpc_url = "https://mainnet.example/v3/0123456789abcdef0123456789abcdef"\n'
                      '[market]\nsymbols = ["BTC", "SOL"]\n')
    done = run_cli("config", "show", cwd=tmp_path, env={"TRONGRID_API_KEY": "sk-secret-123",
                                                        "TRACKER_OKX_URL": "http://u:pw@127.0.0.1:1/?apiKey=abc"})
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert 'rpc_url = "https://mainnet.example/v3/****"  # tracker.toml; $TRACKER_ETH_RPC' in text
    assert 'symbols = "BTC,SOL"  # tracker.toml' in text
    assert 'api_key = "****"  # env TRONGRID_API_KEY' in text
    assert 'okx_url = "http://u:****@127.0.0.1:1/?apiKey=****"' in text
    assert "sk-secret-123" not in text and "0123456789abcdef0123" not in text and "pw@" not in text
    as_json = json.loads(run_cli("config", "show", "--format", "json", cwd=tmp_path).stdout)
    assert {"key": "signals.funding_hot", "value": "0.15", "source": "default",
            "env": "TRACKER_SIGNAL_FUNDING_HOT"} in as_json
    for text, message in [("[signals]\nfunding = 1\n", "unknown setting 'signals.funding'"),
                          ("[signals]\nfunding_hot = 'hot'\n", "signals.funding_hot: expected float"),
                          ("[signals\n", "config")]:
        config.write_text(text)
        bad = run_cli("config", "show", cwd=tmp_path)
        assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and message in bad.stderr
    missing = run_cli("--config", str(tmp_path / "none.toml"), "config", "show")
    assert missing.returncode == 1 and "cannot read config" in missing.stderr


def test_renamed_settings_and_flags_keep_working_with_one_note(tmp_path: Path) -> None:
    """market.exchanges became market.venues (a venue is a market-data source): the old spellings still work."""
    config = tmp_path / "tracker.toml"
    config.write_text('[market]\nexchanges = "okx"\n')
    done = run_cli("config", "show", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = {row["key"]: (row["value"], row["source"]) for row in json.loads(done.stdout)}
    assert shown["market.venues"] == ("okx", "tracker.toml") and "market.exchanges" not in shown
    assert done.stderr.strip().splitlines() == ["note: setting market.exchanges in tracker.toml is deprecated, use market.venues"]
    config.unlink()
    by_env = run_cli("config", "show", "--format", "json", cwd=tmp_path, env={"TRACKER_EXCHANGES": "bybit"})
    shown = {row["key"]: (row["value"], row["source"]) for row in json.loads(by_env.stdout)}
    assert shown["market.venues"] == ("bybit", "env TRACKER_EXCHANGES")
    assert by_env.stderr.strip().splitlines() == ["note: $TRACKER_EXCHANGES is deprecated, use $TRACKER_VENUES"]
    newer = run_cli("config", "show", "--format", "json", cwd=tmp_path,
                    env={"TRACKER_EXCHANGES": "bybit", "TRACKER_VENUES": "binance"})
    shown = {row["key"]: (row["value"], row["source"]) for row in json.loads(newer.stdout)}
    assert shown["market.venues"] == ("binance", "env TRACKER_VENUES") and newer.stderr == ""
    db = tmp_path / "m.duckdb"
    flag = run_cli("--db", str(db), "market", "sync", "--exchange", "kraken")
    assert flag.returncode == 1 and flag.stderr.strip().splitlines() == [
        "note: --exchange is deprecated, use --venue (a venue is a market-data source)",
        "error: unknown venue 'kraken' (expected binance, bybit, okx)",
    ]


def test_signal_queries_run_unchanged_in_duckdb(built: Path) -> None:
    """The files behind signals, evaluation and the report, PREPAREd as they are, in a non-UTC session."""
    import duckdb

    run_cli("--db", str(built), "signals")
    queries = Path(__file__).resolve().parent.parent / "tracker" / "sql" / "queries"
    with duckdb.connect(str(built), read_only=True) as con:
        con.execute("SET TimeZone = 'Asia/Tokyo'")  # days stay UTC days

        def run(name: str, args: str) -> list[tuple]:
            con.execute(f"PREPARE q AS {(queries / name).read_text()}")
            found = con.execute(f"EXECUTE q({args})").fetchall()
            con.execute("DEALLOCATE q")
            return found

        featured = run("signal_features.sql", "symbol := 'BTC', min_coverage_hours := NULL")
        day30 = next(row for row in featured if row[0] == "ethereum" and row[1] == day(30))
        assert day30[2] == Decimal("6000000") and day30[3] == pytest.approx(6 / math.sqrt(30 / 29))
        stored = run("signals_daily.sql", "scope := 'all', since := DATE '2026-02-09', until := DATE '2026-02-09'")
        assert [(row[0], row[2]) for row in stored] == [(day(39), "risk_off")]
        evaluated = run("signal_evaluation.sql", "symbol := 'BTC', scope := 'all', horizons := '1', "
                                                        "down_rules := NULL")
        assert ("regime", "risk_on", 4) in [(row[1], row[2], row[3]) for row in evaluated]
        status = run("report_status.sql", "day := DATE '2026-02-10'")
        assert [(row[1], row[4]) for row in status] == [("ethereum", "partial"), ("tron", "partial"),
                                                         ("binance", "missing")]


def test_reserves_on_a_day_equal_the_all_days_view(built: Path) -> None:
    """exchange_reserves_on (anchor read after the day, minus the changes since) = exchange_reserves_by_day."""
    import duckdb

    sql = (Path(__file__).resolve().parent.parent / "tracker" / "sql" / "queries" / "exchange_reserves_on.sql").read_text()
    with duckdb.connect(str(built), read_only=True) as con:
        con.execute("SET TimeZone = 'Pacific/Auckland'")
        con.execute(f"PREPARE q AS {sql}")
        every_day = con.execute("SELECT r.chain, r.day, r.entity, r.reserve_end, r.wallets, r.anchored_wallets,"
                                " k.symbol, r.token FROM exchange_reserves_by_day r JOIN tokens k USING (chain, token)"
                                " ORDER BY day, chain, entity, token").fetchall()
        assert len(every_day) == 2 * 41  # ExA and ExB on each synced Ethereum day
        for d in range(40):
            found = con.execute(f"EXECUTE q(day := DATE '{day(d)}', token := NULL)").fetchall()
            assert found == [row for row in every_day if row[1] == day(d)], d
        # Day 40 ends after the last anchor (the sync stopped 30 s into it): unknown here, the report then
        # falls back to the all-days view.
        assert [row[3:6] for row in con.execute(f"EXECUTE q(day := DATE '{day(40)}', token := NULL)").fetchall()] == [
            (None, 1, 0), (None, 1, 0)]
        assert con.execute("EXECUTE q(day := DATE '2025-12-31', token := NULL)").fetchall() == []  # before indexing began
    assert rows(built, "SELECT reserve_end FROM exchange_reserves_by_day WHERE day = ? AND entity = 'ExA'",
                [day(38)]) == [(Decimal("107000000"),)]
