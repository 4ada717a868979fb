"""`tracker report` on the hand-built dataset: golden md/json, table and csv, missing data, the chart."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import dataset
from tests.support.helpers import file_digest, run_cli
from tracker.report.daily import readable

GOLDEN = Path(__file__).resolve().parent / "golden"
DAY = "2026-02-09"  # dataset day 39


@pytest.mark.parametrize("file_format", ["md", "json", "table"])
def test_golden(computed: Path, file_format: str) -> None:
    """Figures checked by hand: ExA +3M in, -10M out (9M to a user, 1M to ExB); ExB +3M; reserves 100M
    (-7M, -6.54 %) and 10M (+3M from 7M); supply 1,000M; regime risk_off at -1.5 after neutral at -0.5;
    confidence 5 of 10 inputs (all, ethereum) and 4 of 10 (tron: no z-score either); no liquidation data and
    no options data: one line each.
    md and table show the json's figures for a person (the .txt golden is the table format)."""
    before = file_digest(computed)
    done = run_cli("--db", str(computed), "report", "--date", DAY, "--format", file_format)
    assert done.returncode == 0, done.stderr
    extension = {"table": "txt"}.get(file_format, file_format)
    assert done.stdout == (GOLDEN / f"report_{DAY}.{extension}").read_text(encoding="utf-8")
    assert file_digest(computed) == before  # read-only


def test_table_and_csv(computed: Path) -> None:
    table = run_cli("--db", str(computed), "report", "--date", DAY).stdout
    assert table.startswith(f"USDT flows and risk report — {DAY} (UTC)\n")
    # 5 of the 10 inputs (no OI 7-day change, liquidations, estimated levels, options, DVOL): 50 %
    assert "regime: risk_off (score -1.50, confidence 50%) — shifted today" in table
    assert "ExA     100,000,000  -7,000,000      -6.54%" in table
    assert "ExB      10,000,000  +3,000,000     +42.86%" in table
    assert "tron      2026-02-09       0         0          0             0                 —" in table
    assert "funding_rate                      -0.0050%" in table and "-5.48%" in table and "$800.00M" in table
    assert "all       risk_off  -1.50         50%" in table
    # No line runs across the screen: the regime's sentences wrap under its table, wide tables turn.
    assert max(map(len, table.splitlines())) <= 100
    assert "           missing: OI 7-day change (no BTC open interest for the day or for 7 days before)" in table
    cells = list(csv.DictReader(io.StringIO(run_cli("--db", str(computed), "report", "--date", DAY,
                                                    "--format", "csv").stdout)))
    lookup = {(c["section"], c["row"], c["column"]): c["value"] for c in cells}
    assert lookup[("exchange reserves", "1", "change")] == "-7000000.000000"
    assert lookup[("exchange flows by chain", "1", "netflow")] == "-4000000.000000"
    assert lookup[("regime", "1", "regime")] == "risk_off"


@pytest.mark.parametrize(("column", "value", "shown"), [
    ("reserve_end", Decimal("45041023.000000"), "45,041,023"),
    ("reserve_end", Decimal("45041023.500000"), "45,041,024"),  # whole USDT from 1,000 up, half up
    ("inflow", Decimal("999.994"), "999.99"),  # cents below 1,000
    ("inflow", Decimal("0.500000"), "0.50"),
    ("inflow", Decimal("0.000001"), "0.000001"),  # never a non-zero amount as 0
    ("inflow", Decimal("0.000000"), "0"),
    ("outflow", Decimal("-1234.5"), "-1,235"),
    ("change", Decimal("3000000"), "+3,000,000"),
    ("change", Decimal("-7000000"), "-7,000,000"),
    ("change", Decimal("0"), "0"),
    ("reserve_end", None, "—"),
    ("total_supply_end", None, "—"),
    ("oi_usd", Decimal("45041023.000000000000"), "$45.04M"),
    ("total_supply_end", Decimal("1000000000.000000"), "$1.00B"),
    ("total_supply_end", Decimal("999999999"), "$1.00B"),  # rounded before the unit is chosen
    ("oi_usd", Decimal("-4000000"), "-$4.00M"),
    ("oi_usd", Decimal("950"), "$950.00"),
    ("change_pct", -0.06542056074766354, "-6.54%"),
    ("change_pct", 0.42857142857142855, "+42.86%"),
    ("change_pct", 0.0000001, "+0.00001%"),
    ("oi_drawdown_90d", -0.36, "-36.00%"),
    ("confidence", 0.8333, "83%"),
    ("funding_rate", -4.9999999999999996e-05, "-0.0050%"),
    ("funding_annualized", -0.05474999999999999, "-5.48%"),  # float noise of -0.05475
    ("score", -1.5, "-1.50"),
    ("score", 1.0, "+1.00"),
    ("long_short_ratio", 1.2, "1.20"),
    ("close", Decimal("97123.456000000000"), "97,123.46"),
    ("transfers", 12345, "12,345"),
    ("synced_until", datetime(2026, 2, 10, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
     "2026-02-10 00:00 UTC"),
    ("day", date(2026, 2, 9), "2026-02-09"),
    ("entity", "ExA", "ExA"),
    ("symbol", None, ""),  # text, not a figure
    ("some_new_float", 0.123456789, "0.123457"),  # no kind: as stored
])
def test_readable_cells(column: str, value: object, shown: str) -> None:
    assert readable(column, value) == shown


def test_missing_and_partial_days_are_said_not_zeroed(computed: Path) -> None:
    partial = json.loads(run_cli("--db", str(computed), "report", "--date", "2026-02-10", "--format", "json").stdout)
    assert "ethereum: synced only to 2026-02-10 00:00 UTC: its flows and supply for 2026-02-10 are partial" \
        in partial["notes"]
    assert "market data missing for 2026-02-10: binance BTC" in partial["notes"]
    # The partial day ends after the last anchor: its reserves come from the all-days view (ExA unchanged).
    reserves = {row["entity"]: row for row in partial["sections"]["exchange reserves"]}
    assert reserves["ExA"]["reserve_end"] == "100000000.000000" and reserves["ExA"]["change"] == "0.000000"
    before = json.loads(run_cli("--db", str(computed), "report", "--date", "2025-12-01", "--format", "json").stdout)
    assert "ethereum: indexing starts after 2025-12-01: no data for the day" in before["notes"]
    assert before["sections"]["supply"] == [] and before["sections"]["exchange flows by chain"] == []
    assert before["regime"] is None and "no signal for 2025-12-01: run `tracker signals` (or `tracker run`)" \
        in before["notes"]
    text = run_cli("--db", str(computed), "report", "--date", "2025-12-01").stdout
    assert "supply\n------\nno data" in text and "0.000000" not in text


def test_report_without_signals_or_market(tmp_path: Path) -> None:
    db = tmp_path / "bare.duckdb"
    dataset.build(db)
    done = run_cli("--db", str(db), "report", "--date", DAY, "--format", "json")
    report = json.loads(done.stdout)
    assert f"no signal for {DAY}: run `tracker signals` (or `tracker run`)" in report["notes"]
    bad = run_cli("--db", str(db), "report", "--date", "2026-02-30")
    assert bad.returncode == 1 and bad.stderr.strip() == "error: invalid --date '2026-02-30': expected a date as YYYY-MM-DD"
    missing = run_cli("--db", str(tmp_path / "none.duckdb"), "report")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_chart_is_a_png_of_the_last_90_days(computed: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    done = run_cli("--db", str(computed), "report", "--date", DAY, "--format", "md", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    assert "chart: 40 days written to" in done.stderr  # days 0-39 of the dataset fall in the 90-day window
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 500) and len(data) > 20_000


def test_sessions_have_utc_days_and_no_progress_bar_on_stdout(computed: Path) -> None:
    # DuckDB draws its progress bar on stdout once a query passes 2 s: inside a piped CSV. Sessions turn it off.
    done = run_cli("--db", str(computed), "query", "--format", "csv",
                   "SELECT current_setting('enable_progress_bar') AS bar, current_setting('TimeZone') AS zone")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bar,zone\nFalse,UTC\n"


def test_a_label_written_by_hand_counts_once_a_tracker_command_reads(tmp_path: Path) -> None:
    """Flows find labeled wallets through watched_addresses (ids); a label inserted with plain SQL is not
    there until a tracker command opens the file, which records it before reading."""
    import duckdb

    from tests.support.helpers import rows

    db = tmp_path / "hand.duckdb"
    dataset.build(db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO labels (chain, address, entity, category, wallet_type, source)"
                    " VALUES ('ethereum', ?, 'ExU', 'exchange', 'hot', 'by hand')",
                    [dataset.USER])
    sql = "SELECT entity FROM exchange_label_ids ORDER BY 1"
    assert rows(db, sql) == [("ExA",), ("ExB",)]  # not watched yet
    ((received,),) = rows(db, "SELECT sum(amount) FROM transfers WHERE to_address = ?", [dataset.USER])
    done = run_cli("--db", str(db), "query", "SELECT entity, sum(inflow) AS inflow FROM exchange_flows_by_hour"
                   " WHERE entity = 'ExU' GROUP BY 1", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"entity,inflow\nExU,{received:.6f}\n" and received > 0
    assert rows(db, sql) == [("ExA",), ("ExB",), ("ExU",)]


def test_synced_days_span_the_stored_blocks_up_to_the_sync_frontier(computed: Path) -> None:
    """synced_days (migration 012) reads two blocks, not all: the same days as a min/max over every
    stored block up to each chain's last synced block."""
    from tests.support.helpers import rows

    by_scan = rows(computed, """
        SELECT s.chain, s.token, CAST(unnest(generate_series(
                   CAST(timezone('UTC', min(b.block_time)) AS DATE),
                   CAST(timezone('UTC', max(b.block_time)) AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
        FROM sync_state s JOIN blocks b ON b.chain = s.chain AND b.block_number <= s.last_block
        GROUP BY s.chain, s.token ORDER BY ALL""")
    assert rows(computed, "SELECT * FROM synced_days ORDER BY ALL") == by_scan
    assert {(chain, len([d for c, _, d in by_scan if c == chain])) for chain, _, _ in by_scan} == {
        ("ethereum", 41), ("tron", 3)}
