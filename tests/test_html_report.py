"""`tracker report --format html`: the page in a real headless browser (Debian's chromium, driven by playwright),
a golden outline of one fixed day, missing-data days, `--out` and `tracker run --html`.

Every figure is checked against `tracker report --format json` (or by hand), never against the page's own code.
Screenshots go to the test's tmp dir, and to test-artifacts/ in the checkout when TRACKER_TEST_ARTIFACTS is set.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _require
from tests.support import dataset
from tests.support.chain import ToolMissing
from tests.support.helpers import file_digest, run_cli
from tests.support.venues import Binance

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
DAY = "2026-02-09"  # dataset day 39
CHROMIUM = "/usr/bin/chromium"  # Debian's package: never a browser downloaded by playwright
# root needs --no-sandbox; the rest keep chromium from reaching out on its own (the machine's network is closed)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-gpu"]
SECTIONS = ["regime-banner", "netflow-90d", "status", "flows", "reserves", "supply", "cross-exchange", "market",
            "liquidations", "options", "signals", "data"]


def _exact(value: Any) -> str | None:
    """A JSON report value as the page's data-value holds it (JSON's own text for numbers and booleans)."""
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


# --- the database and the page ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full_db(tmp_path_factory) -> Path:
    """The golden dataset with liquidations and options on top, signals computed: every panel has data."""
    db = tmp_path_factory.mktemp("html") / "full.duckdb"
    dataset.build(db)
    dataset.add_liquidations(db)
    dataset.add_options(db)
    done = run_cli("--db", str(db), "signals")
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def page(full_db: Path, tmp_path_factory) -> tuple[Path, dict]:
    """The day's HTML file (written with --out) and the JSON report of the same day."""
    out = tmp_path_factory.mktemp("page") / "report.html"
    done = run_cli("--db", str(full_db), "report", "--date", DAY, "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == f"report: written to {out}\n"
    report = json.loads(run_cli("--db", str(full_db), "report", "--date", DAY, "--format", "json").stdout)
    return out, report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(ToolMissing("playwright is not installed (pip install -e '.[test]')"))
    if not Path(CHROMIUM).exists():
        _require(ToolMissing(f"{CHROMIUM} is missing (apt-get install chromium)"))
    with sync_playwright() as playwright:
        started = time.monotonic()
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"chromium {launched.version} started in {time.monotonic() - started:.2f} s")
        try:
            yield launched
        finally:
            launched.close()


class Opened:
    """A page opened from its file, with every request, console message and page error recorded."""

    def __init__(self, browser: Any, path: Path, width: int, height: int, scheme: str = "light") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri(), wait_until="load")

    def screenshot(self, where: Path, name: str) -> Path:
        shot = where / f"report-{name}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("TRACKER_TEST_ARTIFACTS"):
            kept = ROOT / "test-artifacts"
            kept.mkdir(exist_ok=True)
            shutil.copy(shot, kept / shot.name)
        return shot

    def close(self) -> None:
        self.context.close()


def test_page_in_a_browser_is_self_contained(browser: Any, page: tuple[Path, dict], tmp_path: Path) -> None:
    """No console message, no request but the file itself, every section present, a screenshot as proof."""
    path, _ = page
    started = time.monotonic()
    opened = Opened(browser, path, 1366, 900)
    try:
        assert opened.requests == [path.as_uri()]
        assert opened.console == [] and opened.errors == []
        present = opened.page.evaluate("ids => ids.filter(id => document.getElementById(id) !== null)", SECTIONS)
        assert present == SECTIONS
        # every chart has a one-line summary under it and the same text as its accessible name
        charts = opened.page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => [f.id,
            f.querySelector('figcaption')?.textContent, f.querySelector('[role=img]')?.getAttribute('aria-label')])""")
        assert {ident for ident, _, _ in charts} >= {"netflow-chart", "reserves-chart", "cross-heat-ethereum",
                                                     "market-funding-annualized-oi-weighted", "market-oi-usd"}
        assert all(caption and caption == label for _, caption, label in charts), charts
        # the layout is a page, not a single column: the laptop screen has two panels side by side
        left = opened.page.evaluate("[...document.querySelectorAll('main > section.panel')].map(s => s.offsetLeft)")
        assert len(set(left)) == 2
        shot = opened.screenshot(tmp_path, "laptop")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        opened.close()
    print(f"laptop page opened, checked and shot in {time.monotonic() - started:.2f} s")


def test_figures_in_the_page_equal_the_json_report(browser: Any, page: tuple[Path, dict]) -> None:
    path, report = page
    opened = Opened(browser, path, 1366, 900)
    try:
        cells = opened.page.evaluate("""() => [...document.querySelectorAll('[data-section] [data-row][data-column]')]
            .map(e => [e.closest('[data-section]').dataset.section, Number(e.dataset.row), e.dataset.column,
                       e.hasAttribute('data-value') ? e.dataset.value : null, e.textContent])""")
        text = {(section, row, column): shown for section, row, column, _, shown in cells}
        found = {(section, row, column): value for section, row, column, value, _ in cells}
        # every figure of every section of the JSON report is in the page, exactly; and nothing else is
        expected = {(name, number, column): _exact(value) for name, rows in report["sections"].items()
                    for number, row in enumerate(rows, 1) for column, value in row.items()}
        assert found == expected
        # The key figures as a person reads them, formatted here by hand from the JSON's exact values.
        regime = report["regime"]
        banner = opened.page.evaluate("""() => ['regime-value', 'regime-confidence', 'regime-score'].map(id =>
            [document.getElementById(id).dataset.value, document.getElementById(id).textContent])""")
        assert banner == [[regime["regime"], regime["regime"].replace("_", "-")],
                          [_exact(regime["confidence"]), f"{Decimal(str(regime['confidence'])) * 100:.0f}%"],
                          [_exact(regime["score"]), f"{regime['score']:+.2f}"]]
        assert (regime["regime"], f"{regime['confidence']:.2f}") == ("risk_off", "0.77")  # 7.7 of 10 inputs
        flows = report["sections"]["exchange flows by chain"]
        for number, row in enumerate(flows, 1):
            assert text[("exchange flows by chain", number, "netflow")] == f"{Decimal(row['netflow']):,.0f}"
        assert [row["chain"] for row in flows] == ["ethereum"]
        assert text[("exchange flows by chain", 1, "netflow")] == "-4,000,000"
        top = report["sections"]["exchange reserves"][0]
        assert (top["entity"], top["reserve_end"]) == ("ExA", "100000000.000000")
        assert text[("exchange reserves", 1, "reserve_end")] == "100,000,000"
        assert opened.page.evaluate("document.querySelector('#reserves-chart [data-entity=ExA]').dataset.value") \
            == top["reserve_end"]
        for number, row in enumerate(report["sections"]["supply"], 1):
            assert text[("supply", number, "net_issuance")] == f"{Decimal(row['net_issuance']):,.0f}" == "0"
        (market,) = [row for row in report["sections"]["market"] if row["symbol"] == "BTC"]
        assert text[("market", 1, "funding_rate")] == "-0.0050%"  # -0.00005 a settlement
        assert text[("market", 1, "funding_annualized_oi_weighted")] == "-5.48%"  # × 3 × 365 = -5.475 %
        assert market["funding_rate"] == pytest.approx(-0.00005)
        # the day's bar of the 90-day chart: all chains' netflow, the sum of the chains' exact figures
        bar = opened.page.evaluate(f"document.querySelector('#netflow-chart rect[data-day=\"{DAY}\"]').dataset.value")
        assert Decimal(bar) == sum(Decimal(row["netflow"]) for row in flows)
        liquidations = report["sections"]["liquidations"]
        assert text[("liquidations", 1, "notional_usd")] == "$419.60" and liquidations[0]["count"] == 2
    finally:
        opened.close()


def test_phone_width_has_no_horizontal_overflow(browser: Any, page: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = page
    opened = Opened(browser, path, 390, 844)
    try:
        width, inner = opened.page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert inner == 390 and width <= inner
        # one panel a row on a phone
        assert len(set(opened.page.evaluate(
            "[...document.querySelectorAll('main > section.panel')].map(s => s.offsetLeft)"))) == 1
        opened.screenshot(tmp_path, "phone")
        assert opened.console == [] and opened.errors == []
    finally:
        opened.close()


def test_dark_mode_changes_the_colours(browser: Any, page: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = page
    colours = {}
    for scheme in ("light", "dark"):
        opened = Opened(browser, path, 1366, 900, scheme)
        try:
            colours[scheme] = opened.page.evaluate(
                "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")
            opened.screenshot(tmp_path, scheme)
        finally:
            opened.close()
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(31, 35, 40)"]
    assert colours["dark"] == ["rgb(13, 17, 23)", "rgb(230, 237, 243)"]


# --- the page's structure, without a browser -------------------------------------------------------------------

class Outline(HTMLParser):
    """What the golden keeps of a page: sections and headings, table headers, every figure (exact value and text),
    chart captions and "no data" lines — not styles or pixels."""

    KEPT = ("h1", "h2", "h3", "figcaption", "th")

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.lines.append(f"section #{found['id']}")
        elif tag == "div" and "data-section" in found:
            self.lines.append(f"  block {found['data-section']}")
        elif tag == "figure":
            self.lines.append(f"  figure #{found['id']}")
        if tag in self.KEPT or "data-value" in found or "data-row" in found or (found.get("class") or "") == "nodata" \
                or tag == "rect" and "data-day" in found:
            self.stack.append((tag, found, []))

    def handle_endtag(self, tag: str) -> None:
        if self.tags and self.tags[-1] == tag:
            self.tags.pop()
        if not self.stack or self.stack[-1][0] != tag:
            return
        _, found, texts = self.stack.pop()
        text = " ".join("".join(texts).split())
        if self.stack and tag == "title":
            return
        where = f"[{found['data-row']}].{found.get('data-column')}" if "data-row" in found else \
            found.get("id") or found.get("data-day") or found.get("data-entity") or \
            (f"{found['data-from']} → {found['data-to']}" if "data-from" in found else "")
        value = f" = {found['data-value']}" if "data-value" in found else ""
        if tag == "rect":
            self.lines.append(f"    bar {where}{value}")
        elif found.get("class") == "nodata":
            self.lines.append(f"    no data: {text}")
        elif tag == "th" and "data-row" not in found:
            self.lines.append(f"    th {found.get('data-column') or text}")
        else:
            self.lines.append("    " + " ".join(filter(None, [tag, f"{where}{value}".strip(), repr(text)])))
        if self.stack:
            self.stack[-1][2].append(text)

    def handle_data(self, data: str) -> None:
        if self.stack and self.tags and self.tags[-1] not in ("title", "style"):
            self.stack[-1][2].append(data)


def outline(html: str) -> str:
    parser = Outline()
    parser.feed(html)
    return "\n".join(parser.lines) + "\n"


def test_golden_outline_of_the_day(computed: Path) -> None:
    """The golden day of tests/test_report.py: sections, headings, table headers, figures and captions. The figures
    are also checked here against the golden JSON report (checked by hand there): risk_off at -1.50, 50 %;
    ExA -7M, ExB +3M; reserves 100M (-7M) and 10M (+3M); no liquidation and no options data."""
    before = file_digest(computed)
    done = run_cli("--db", str(computed), "report", "--date", DAY, "--format", "html")
    assert done.returncode == 0, done.stderr
    assert file_digest(computed) == before  # read-only
    found = outline(done.stdout)
    assert found == (GOLDEN / f"report_{DAY}.html.outline").read_text(encoding="utf-8")
    report = json.loads((GOLDEN / f"report_{DAY}.json").read_text(encoding="utf-8"))
    for name, rows in report["sections"].items():
        for number, row in enumerate(rows, 1):
            for column, value in row.items():
                if value is not None and column not in ("reasons", "missing") or value and column in (
                        "reasons", "missing"):
                    assert f"[{number}].{column} = {_exact(value)} " in found, (name, number, column)
    assert "    span regime-value = risk_off 'risk-off'" in found
    assert "    b regime-confidence = 0.5 '50%'" in found
    # the 90-day chart: days 0-39 of the dataset have signals, the day's bar is the chains' -4M
    assert found.count("    bar ") == 40 and f"    bar {DAY} = -4000000.000000" in found
    assert "largest inflow +6,000,000 USDT on 2026-01-31, largest outflow -6,000,000 USDT on 2026-02-06" in found
    assert found.count("no liquidation data for 2026-02-09") == 1 and "no options data for 2026-02-09" in found


def _section_texts(html: str) -> dict[str, str]:
    """Each top-level section's outline lines (by id)."""
    sections: dict[str, str] = {}
    current = None
    for line in outline(html).splitlines():
        if line.startswith("section #"):
            current = line.removeprefix("section #")
            sections[current] = ""
        elif current:
            sections[current] += line + "\n"
    return sections


def test_a_day_without_data_shows_no_data_panels_never_zeros(computed: Path) -> None:
    """2025-12-01 is before anything was indexed or stored: every panel says so, no figure is a zero."""
    done = run_cli("--db", str(computed), "report", "--date", "2025-12-01", "--format", "html")
    assert done.returncode == 0, done.stderr
    sections = _section_texts(done.stdout)
    assert list(sections) == SECTIONS
    for ident in ("netflow-90d", "flows", "reserves", "supply", "cross-exchange", "market", "liquidations",
                  "options", "signals"):
        assert "    no data: " in sections[ident], ident
        assert " = 0" not in sections[ident] and "'0'" not in sections[ident], ident
    assert "no data: no signal for the day" in sections["regime-banner"]
    assert "no data: no signals stored between 2025-09-03 and 2025-12-01" in sections["netflow-90d"]
    # the market's 90-day lines: each says it has no data
    assert sections["market"].count("    no data: ") == 1 + 4
    # data status still lists what is there: the chains start after the day
    assert "[1].status = not synced" in sections["status"]
    # a day with chain data but no market rows (day 32): the market table says no data, the flows are there
    market_gap = _section_texts(run_cli("--db", str(computed), "report", "--date", "2026-02-02", "--format",
                                        "html").stdout)
    assert "block market\n    no data: no data\n" in market_gap["market"]
    assert "[1].netflow = 0.000000 '0'" in market_gap["flows"]  # a real zero: synced, nothing moved net


def test_text_from_the_database_is_escaped(tmp_path: Path) -> None:
    db = tmp_path / "escaped.duckdb"
    dataset.build(db)
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE labels SET entity = '<b>Ex&A</b>' WHERE entity = 'ExA'")
    done = run_cli("--db", str(db), "report", "--date", DAY, "--format", "html")
    assert done.returncode == 0, done.stderr
    assert "<b>Ex&A</b>" not in done.stdout and "&lt;b&gt;Ex&amp;A&lt;/b&gt;" in done.stdout


# --- the command line ------------------------------------------------------------------------------------------

def test_out_writes_the_file_and_a_bad_path_is_one_line(computed: Path, tmp_path: Path) -> None:
    out = tmp_path / "day.html"
    done = run_cli("--db", str(computed), "report", "--date", DAY, "--format", "html", "--out", str(out))
    assert done.returncode == 0 and done.stdout == "" and done.stderr == f"report: written to {out}\n"
    printed = run_cli("--db", str(computed), "report", "--date", DAY, "--format", "html").stdout
    assert out.read_text(encoding="utf-8") == printed and printed.startswith("<!doctype html>")
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [path.name for path in tmp_path.iterdir()] == ["day.html"]  # no temporary file left
    # --out takes any format
    as_json = tmp_path / "day.json"
    assert run_cli("--db", str(computed), "report", "--date", DAY, "--format", "json", "--out",
                   str(as_json)).returncode == 0
    assert json.loads(as_json.read_text())["regime"]["regime"] == "risk_off"
    missing = tmp_path / "no such dir" / "day.html"
    bad = run_cli("--db", str(computed), "report", "--date", DAY, "--format", "html", "--out", str(missing))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == f"error: cannot write {missing}: No such file or directory\n"


def test_run_writes_the_html_report_beside_the_printed_one(tmp_path: Path, httpserver) -> None:
    """`tracker run --html FILE` on the dataset with no chain to sync (run.chains empty), Binance served locally:
    the usual report on stdout, the page in FILE holding the same day's figures."""
    db = tmp_path / "run.duckdb"
    dataset.build(db)
    fake = Binance(days=60, last_day=date(2026, 2, 10))
    for path in ("/fapi/v1/fundingRate", "/futures/data/openInterestHist", "/futures/data/globalLongShortAccountRatio",
                 "/fapi/v1/klines"):
        httpserver.expect_request(path).respond_with_handler(fake.handler)
    config = tmp_path / "tracker.toml"
    config.write_text(f'[database]\npath = "{db}"\n[run]\nchains = ""\noptions = 0\n'
                      f'[market]\nvenues = "binance"\nsymbols = "BTC"\n'
                      f'binance_url = "{httpserver.url_for("/").rstrip("/")}"\n')
    out = tmp_path / "run.html"
    done = run_cli("--config", str(config), "run", "--date", DAY, "--format", "json", "--html", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"report: written to {out}"
    report = json.loads(done.stdout)
    html = out.read_text(encoding="utf-8")
    netflow = report["sections"]["exchange flows by chain"][0]["netflow"]
    assert netflow == "-4000000.000000" and f'data-column="netflow" data-value="{netflow}"' in html
    assert f'id="regime-value" data-value="{report["regime"]["regime"]}"' in html
