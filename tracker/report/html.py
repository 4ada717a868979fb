"""`tracker report --format html`: the daily report as one self-contained page — inline CSS, charts as inline SVG
(or CSS bars), no script, nothing fetched when it is opened (its Content-Security-Policy forbids it).

Built from the report `build_report` made (every figure shown is the one `--format json` prints: the exact value
in `data-value`, the readable one as text) plus the last 90 days of stored signals and market data for the charts.
Floats serve pixel geometry only; every figure a person reads is formatted from the stored value.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from tracker import settings
from tracker.analytics.reading import open_for_reading
from tracker.errors import TrackerError
from tracker.output import json_value
from tracker.queries import Result, execute, resolve_sql
from tracker.report.daily import KINDS, Report, readable, render_report, report_title

DAYS = 90
NO_DATA = "no data"
TURN_COLUMNS = 7  # a table wider than this with few rows (market, options) reads better turned: one line a field

# (id, heading, the report's sections shown in it); a section not listed here gets a panel of its own at the end
PANELS = [
    ("status", "Data status and coverage", ["data status", "label coverage"]),
    ("flows", "Exchange flows of the day", ["exchange flows by chain", "top net inflows", "top net outflows"]),
    ("reserves", "Exchange reserves", ["exchange reserves"]),
    ("supply", "Supply", ["supply"]),
    ("cross-exchange", "Cross-exchange matrix", ["cross-exchange"]),
    ("market", "Market", ["market"]),
    ("liquidations", "Liquidations", ["liquidations", "liquidation clusters", "estimated liquidation levels"]),
    ("options", "Options", ["options", "options max pain"]),
    ("signals", "Regime by scope", ["regime"]),
]
WIDE = {"liquidations"}  # its tables are wide: a row of their own on a laptop
# the market series drawn for signals.symbol: (column, what it is)
MARKET_SERIES = [
    ("funding_annualized_oi_weighted", "funding, annualized (OI-weighted)"),
    ("oi_usd", "open interest"),
    ("long_short_ratio", "long/short account ratio"),
    ("close", "close price"),
]


@dataclass
class History:
    """What the charts read besides the day's report: stored signals (every scope) and the signals symbol's
    market features, `since` to the report's day."""
    since: date
    symbol: str
    signals: Result
    market: Result


def load_history(db_path: Path, day: date) -> History:
    since = day - timedelta(days=DAYS - 1)
    symbol = str(settings.get("signals.symbol")).upper()
    window = {"since": since.isoformat(), "until": day.isoformat()}
    with open_for_reading(db_path) as store:
        signals = execute(store.connection, resolve_sql("signals_daily"), window)
        market = execute(store.connection, resolve_sql("market_daily"), {"symbol": symbol, **window})
    return History(since, symbol, signals, market)


def render(db_path: Path, report: Report, file_format: str) -> str:
    """The report in any format: html reads the charts' 90 days from the database, the others only the report."""
    if file_format == "html":
        return render_html(report, load_history(db_path, report.day))
    return render_report(report, file_format)


def write_report(out: str, text: str) -> None:
    """Atomically: a cron job's reader (a mailer, a web server) never sees half a file."""
    target = Path(out)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    except OSError as error:
        raise TrackerError(f"cannot write {out}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600: a report is for reading
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise TrackerError(f"cannot write {out}: {error.strerror or error}") from None


# --- the page -------------------------------------------------------------------------------------------------

def render_html(report: Report, history: History) -> str:
    title = report_title(report)
    shown = {name for _, _, names in PANELS for name in names}
    panels = [_banner(report), _netflow_chart(report, history)]
    for ident, heading, names in PANELS:
        extra = {"reserves": _reserve_bars, "cross-exchange": _heat_table}.get(ident)
        figures = [extra(report)] if extra else []
        if ident == "market":
            figures.append(_market_charts(history, report.day))
        panels.append(_panel(ident, heading, report, names, figures))
    for name in report.sections:
        if name not in shown:
            panels.append(_panel(_slug(name), name, report, [name], []))
    panels.append(_exact_values(report))
    nav = "".join(f'<a href="#{ident}">{escape(heading)}</a>' for ident, heading, _ in
                  [("regime-banner", "Regime", []), ("netflow-90d", "Netflow 90 days", []), *PANELS])
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        # nothing loads from anywhere: no script, no fetch, images only as data: URIs
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1><nav>{nav}</nav></header>\n<main>\n"
        + "\n".join(panels) + "\n</main>\n</body>\n</html>\n")


def _exact(value: Any) -> str:
    """A value as the JSON report holds it: decimals and dates as their exact text, other values as JSON."""
    value = json_value(value)
    return value if isinstance(value, str) else json.dumps(value)


def _value_attr(value: Any) -> str:
    return "" if value is None else f' data-value="{escape(_exact(value))}"'


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _figure(ident: str, summary: str, body: str, wide: bool = False) -> str:
    """A chart: role=img with the one-line summary as its label and as the caption under it."""
    return (f'<figure id="{ident}" class="chart{" wide" if wide else ""}">'
            f'<div role="img" aria-label="{escape(summary)}">{body}</div>'
            f"<figcaption>{escape(summary)}</figcaption></figure>")


def _no_data(text: str = NO_DATA) -> str:
    return f'<p class="nodata">{escape(text)}</p>'


def _banner(report: Report) -> str:
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
    notes = f'<ul class="notes" aria-label="notes">{notes}</ul>' if notes else ""
    if not report.regime:
        return (f'<section id="regime-banner" class="banner regime-unknown"><h2>Regime: <span id="regime-value">'
                f'unknown</span></h2>{_no_data("no data: no signal for the day")}{notes}</section>')
    regime = report.regime
    shift = ' <span class="shift">shifted today</span>' if regime["shift"] else ""
    reasons = [text for text in str(regime["reasons"] or "").split("; ") if text]
    missing = [text for text in str(regime["missing"] or "").split("; ") if text]

    def items(texts: list[str]) -> str:
        return "".join(f"<li>{escape(text)}</li>" for text in texts) or "<li>none</li>"

    name = str(regime["regime"])
    return (
        f'<section id="regime-banner" class="banner regime-{escape(_slug(name))}">'
        f'<h2>Regime: <span id="regime-value" data-value="{escape(name)}">{escape(name.replace("_", "-"))}</span>'
        f"{shift}</h2>"
        f'<p class="figures">score <b id="regime-score"{_value_attr(regime["score"])}>'
        f'{escape(readable("score", regime["score"]))}</b> · confidence <b id="regime-confidence"'
        f'{_value_attr(regime["confidence"])}>{escape(readable("confidence", regime["confidence"]))}</b></p>'
        f'<p id="since-yesterday">since yesterday: {escape(str(regime["since_yesterday"]))}</p>'
        f'<div class="columns"><div><h3>Reasons</h3><ul id="regime-reasons">{items(reasons)}</ul></div>'
        f'<div><h3>Missing inputs</h3><ul id="regime-missing">{items(missing)}</ul></div></div>{notes}</section>')


def _panel(ident: str, heading: str, report: Report, names: list[str], figures: list[str]) -> str:
    wide = " wide" if ident in WIDE else ""
    parts = [f'<section id="{escape(ident)}" class="panel{wide}"><h2>{escape(heading)}</h2>', *figures]
    for name in names:
        if name not in report.sections:
            continue
        result = report.sections[name]
        parts.append(f'<div class="block" data-section="{escape(name)}">')
        if len(names) > 1 or name != heading.lower():
            parts.append(f"<h3>{escape(name)}</h3>")
        said = report.section_notes.get(name, [])
        # no rows: "no data" (or the section's own sentence saying why) — never a table of zeros
        parts.append(_table(result) if result.rows else _no_data() if not said else "")
        parts += [f'<p class="{"nodata" if not result.rows else "note"}">{escape(text)}</p>' for text in said]
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _table(result: Result) -> str:
    shown = [i for i, column in enumerate(result.columns) if KINDS.get(column) != "note"]
    sentences = [i for i, column in enumerate(result.columns) if KINDS.get(column) == "note"]

    def cell(number: int, row: tuple[Any, ...], i: int, tag: str = "td") -> str:
        column, value = result.columns[i], row[i]
        kind = KINDS.get(column)
        numeric = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and kind not in (
            "date", "time")
        css = " ".join(filter(None, ["num" if numeric else "", "unknown" if value is None else "",
                                     _sign_class(kind, value)]))
        classes = f' class="{css}"' if css else ""
        return (f'<{tag} data-row="{number}" data-column="{escape(column)}"{_value_attr(value)}{classes}>'
                f"{escape(readable(column, value))}</{tag}>")

    rows = list(enumerate(result.rows, 1))
    if len(shown) > TURN_COLUMNS and len(rows) <= 3:
        first = shown[0]
        head = "".join(cell(number, row, first, "th") for number, row in rows)
        body = "".join(f'<tr><th scope="row" data-column="{escape(result.columns[i])}">{escape(_header(result.columns[i]))}</th>'
                       + "".join(cell(number, row, i) for number, row in rows) + "</tr>" for i in shown[1:])
        table = (f'<table class="turned"><thead><tr><th scope="col" data-column="{escape(result.columns[first])}">'
                 f"{escape(_header(result.columns[first]))}</th>{head}</tr>"
                 f"</thead><tbody>{body}</tbody></table>")
    else:
        right = ' class="num"'
        head = "".join(f'<th scope="col" data-column="{escape(result.columns[i])}"'
                       f'{right if _numeric_column(result, i) else ""}>{escape(_header(result.columns[i]))}</th>'
                       for i in shown)
        body = "".join(f'<tr data-key="{escape(_exact(row[shown[0]]))}">'
                       + "".join(cell(number, row, i) for i in shown) + "</tr>" for number, row in rows)
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    notes = "".join(
        f'<li data-row="{number}" data-column="{escape(result.columns[i])}"{_value_attr(row[i])}>'
        f"<b>{escape(readable(result.columns[0], row[0]))} — {escape(result.columns[i])}:</b> {escape(str(row[i]))}"
        "</li>" for number, row in rows for i in sentences if row[i])
    return f'<div class="scroll">{table}</div>' + (f'<ul class="said">{notes}</ul>' if notes else "")


def _header(column: str) -> str:
    return column.replace("_", " ")  # headers may wrap between words: narrower tables


def _numeric_column(result: Result, i: int) -> bool:
    values = [row[i] for row in result.rows if row[i] is not None]
    return bool(values) and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values) \
        and KINDS.get(result.columns[i]) not in ("date", "time")


def _sign_class(kind: str | None, value: Any) -> str:
    if kind not in ("usdt_change", "pct_change", "score") or value is None or not value:
        return ""
    return "pos" if value > 0 else "neg"


def _rows(result: Result) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row)) for row in result.rows]


# --- charts ---------------------------------------------------------------------------------------------------

def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def _netflow_chart(report: Report, history: History) -> str:
    """Exchange netflow of all chains per day (bars, from the stored signals) over the regime of each day."""
    days = _days(history.since, report.day)
    stored = {row["day"]: row for row in _rows(history.signals) if row["scope"] == "all"}
    heading = (f'<section id="netflow-90d" class="panel wide"><h2>Exchange netflow, last {DAYS} days, '
               "with the regime</h2>")
    if not stored:
        return (heading + _no_data(f"no data: no signals stored between {history.since} and {report.day} "
                                   "(`tracker signals` computes them)") + "</section>")
    width, height, pad = 900.0, 240.0, 6.0
    step = width / len(days)
    top = max(abs(float(row["netflow"])) for row in stored.values()) or 1.0
    middle = height / 2

    def y(value: float) -> float:
        return middle - value / top * (middle - pad)

    bands, bars = [], []
    for i, when in enumerate(days):
        row = stored.get(when)
        if row is None:
            continue
        x = i * step
        bands.append(f'<rect class="band {escape(_slug(str(row["regime"])))}" x="{x:.2f}" y="0" '
                     f'width="{step:.2f}" height="{height:.0f}"/>')
        value = float(row["netflow"])
        shown = readable("netflow", row["netflow"])
        bars.append(
            f'<rect class="bar {"pos" if value > 0 else "neg"}{" today" if when == report.day else ""}" '
            f'data-day="{when}"{_value_attr(row["netflow"])} x="{x + step * 0.15:.2f}" '
            f'y="{min(y(value), middle):.2f}" width="{step * 0.7:.2f}" height="{max(abs(y(value) - middle), 0.5):.2f}">'
            f"<title>{when}: {escape(shown)} USDT, {escape(str(row['regime']))}</title></rect>")
    svg = (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" preserveAspectRatio="none" class="bars" '
           f'aria-hidden="true">{"".join(bands)}'
           f'<line class="zero" x1="0" x2="{width:.0f}" y1="{middle}" y2="{middle}"/>{"".join(bars)}</svg>')
    values = sorted(stored.items(), key=lambda item: (item[1]["netflow"], item[0]))
    low, high = values[0], values[-1]
    regimes = defaultdict(int)
    for row in stored.values():
        regimes[str(row["regime"])] += 1
    today = stored.get(report.day)
    summary = (f"Exchange netflow of all chains per day, {history.since} to {report.day}: {len(stored)} of "
               f"{len(days)} days with signals; largest inflow {readable('netflow', high[1]['netflow'])} USDT on "
               f"{high[0]}, largest outflow {readable('netflow', low[1]['netflow'])} USDT on {low[0]}; "
               + (f"the day: {readable('netflow', today['netflow'])} USDT, {today['regime']}; " if today else
                  "the day: no signal; ")
               + ", ".join(f"{count} day{'s' if count > 1 else ''} {name}" for name, count in sorted(regimes.items()))
               + ".")
    compact = escape(readable("oi_usd", Decimal(repr(top))).removeprefix("$"))  # the axis only: 6.00M
    scale = f'<div class="axis"><span>+{compact}</span><span>0 USDT</span><span>-{compact}</span></div>'
    dates = f'<div class="dates"><span>{history.since}</span><span>{report.day}</span></div>'
    legend = ('<p class="legend"><span class="key pos"></span>into exchanges <span class="key neg"></span>out of '
              'exchanges <span class="key risk-on"></span>risk-on <span class="key neutral"></span>neutral '
              '<span class="key risk-off"></span>risk-off</p>')
    body = f'<div class="plot">{scale}<div class="svgbox">{svg}{dates}</div></div>'
    return heading + _figure("netflow-chart", summary, body) + legend + "</section>"


def _reserve_bars(report: Report) -> str:
    """Closing reserve per entity as CSS bars (text stays readable at any width), largest first."""
    result = report.sections.get("exchange reserves")
    rows = [row for row in _rows(result) if row["reserve_end"] is not None][:10] if result else []
    if not rows:
        return ""
    top = max(float(row["reserve_end"]) for row in rows) or 1.0
    lines = "".join(
        f'<div class="hbar-row"><span class="label">{escape(str(row["entity"]))}</span>'
        f'<span class="track"><span class="hbar" style="width:{float(row["reserve_end"]) / top * 100:.1f}%">'
        f'</span></span><span class="num" data-entity="{escape(str(row["entity"]))}"'
        f'{_value_attr(row["reserve_end"])}>{escape(readable("reserve_end", row["reserve_end"]))}</span></div>'
        for row in rows)
    first = rows[0]
    summary = (f"Closing USDT reserves of {len(rows)} exchange entities; largest {first['entity']} with "
               f"{readable('reserve_end', first['reserve_end'])} ({readable('change', first['change'])} on the day).")
    return _figure("reserves-chart", summary, f'<div class="hbars">{lines}</div>')


def _heat_table(report: Report) -> str:
    """USDT moved between exchanges: senders down, receivers across, the cell's shade by amount (per chain)."""
    result = report.sections.get("cross-exchange")
    if not result or not result.rows:
        return ""
    parts = []
    for chain in sorted({row["chain"] for row in _rows(result)}):
        cells: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in _rows(result):
            if row["chain"] == chain:
                cells[(row["from_entity"], row["to_entity"])] += row["amount"]
        senders = sorted({pair[0] for pair in cells})
        receivers = sorted({pair[1] for pair in cells})
        top = max(float(amount) for amount in cells.values()) or 1.0
        head = "".join(f'<th scope="col">to {escape(name)}</th>' for name in receivers)
        body = ""
        for sender in senders:
            body += f'<tr><th scope="row">from {escape(sender)}</th>'
            for receiver in receivers:
                amount = cells.get((sender, receiver))
                if amount is None:
                    body += "<td></td>"
                    continue
                share = 10 + 50 * float(amount) / top  # dark enough to see, light enough to read
                body += (f'<td class="num heat" style="background:color-mix(in srgb, var(--heat) {share:.0f}%, '
                         f'transparent)" data-from="{escape(sender)}" data-to="{escape(receiver)}"'
                         f'{_value_attr(amount)}>{escape(readable("amount", amount))}</td>')
            body += "</tr>"
        largest = max(cells.items(), key=lambda item: (item[1], item[0]))
        summary = (f"{chain}: USDT between {len(senders)} sending and {len(receivers)} receiving exchanges; "
                   f"largest {largest[0][0]} → {largest[0][1]}, {readable('amount', largest[1])} USDT.")
        table = (f'<div class="scroll"><table class="heatmap"><thead><tr><th scope="col">{escape(chain)}</th>{head}'
                 f"</tr></thead><tbody>{body}</tbody></table></div>")
        parts.append(_figure(f"cross-heat-{_slug(chain)}", summary, table))
    return "".join(parts)


def _market_charts(history: History, day: date) -> str:
    rows = {row["day"]: row for row in _rows(history.market)}
    days = _days(history.since, day)
    figures = []
    for column, what in MARKET_SERIES:
        points = [(when, rows[when][column] if when in rows else None) for when in days]
        figures.append(_spark(f"market-{_slug(column)}", f"{history.symbol} {what}", column, points))
    return f'<div class="sparks">{"".join(figures)}</div>'


def _spark(ident: str, what: str, column: str, points: list[tuple[date, Any]]) -> str:
    """A small line over the window; a day without a value breaks the line (never drawn as 0)."""
    known = [(when, value) for when, value in points if value is not None]
    if not known:
        return (f'<figure id="{ident}" class="chart spark"><figcaption>{escape(what)}, last {DAYS} days: '
                f"{NO_DATA}</figcaption>{_no_data()}</figure>")
    width, height, pad = 300.0, 80.0, 4.0
    numbers = [float(value) for _, value in known]
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = width / max(len(points) - 1, 1)
    lines, current = [], []
    for i, (_, value) in enumerate(points):
        if value is None:
            if current:
                lines.append(current)
            current = []
            continue
        current.append(f"{i * step:.1f},{height - pad - (float(value) - low) / span * (height - 2 * pad):.1f}")
    if current:
        lines.append(current)
    paths = "".join(f'<polyline points="{" ".join(line)}"/>' if len(line) > 1 else
                    f'<circle r="2" cx="{line[0].split(",")[0]}" cy="{line[0].split(",")[1]}"/>' for line in lines)
    zero = ""
    if low < 0 < high:
        zero_y = height - pad - (0 - low) / span * (height - 2 * pad)
        zero = f'<line class="zero" x1="0" x2="{width:.0f}" y1="{zero_y:.1f}" y2="{zero_y:.1f}"/>'
    last_day, last = known[-1]
    smallest = min(known, key=lambda item: (float(item[1]), item[0]))
    largest = max(known, key=lambda item: (float(item[1]), item[0]))
    summary = (f"{what}, last {DAYS} days: {readable(column, last)} on {last_day}; range "
               f"{readable(column, smallest[1])} ({smallest[0]}) to {readable(column, largest[1])} ({largest[0]}); "
               f"{len(known)} of {len(points)} days with data.")
    svg = (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" preserveAspectRatio="none" class="line" '
           f'aria-hidden="true">{zero}{paths}</svg>')
    head = (f'<p class="spark-head">{escape(what)} <b data-day="{last_day}"{_value_attr(last)}>'
            f"{escape(readable(column, last))}</b></p>")
    return _figure(ident, summary, head + svg)


def _exact_values(report: Report) -> str:
    """Every figure exactly as stored: the report's CSV, shown and as a download that needs no server."""
    text = render_report(report, "csv")
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f'<section id="data" class="panel wide"><h2>Exact values</h2><p>Every figure above as stored, in the '
            f'long CSV of <code>tracker report --format csv</code>: <a download="usdt-report-{report.day}.csv" '
            f'href="data:text/csv;charset=utf-8;base64,{encoded}">download CSV</a>.</p>'
            f'<details><summary>show the CSV</summary><pre id="exact-csv">{escape(text)}</pre></details></section>')


CSS = """
:root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--panel:#f6f8fa;--line:#d1d9e0;--pos:#1a7f37;--neg:#cf222e;
--on:#d2f4dc;--neutral:#e6eaef;--off:#ffdcd7;--accent:#0969da;--heat:#0969da;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--panel:#151b23;--line:#3d444d;
--pos:#3fb950;--neg:#f85149;--on:#12361f;--neutral:#262c36;--off:#4a1b1b;--accent:#4493f8;--heat:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main{max-width:80rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.35rem;margin:1rem 0 .5rem}h2{font-size:1.1rem;margin:0 0 .6rem}h3{font-size:.95rem;margin:.8rem 0 .3rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem;font-size:.85rem;margin-bottom:1rem}
a{color:var(--accent)}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,36rem),1fr));gap:1rem;padding-bottom:2rem}
.panel,.banner{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;min-width:0}
.wide,.banner{grid-column:1/-1}
.banner{border-left:8px solid var(--muted)}
.regime-risk-on{border-left-color:var(--pos)}.regime-risk-off{border-left-color:var(--neg)}
.banner h2{font-size:1.5rem}.banner .figures{font-size:1.1rem;margin:.2rem 0}
.shift{font-size:.8rem;background:var(--accent);color:var(--bg);border-radius:4px;padding:.1rem .4rem;vertical-align:middle}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:0 1.5rem}
ul{padding-left:1.2rem;margin:.3rem 0}li,p{overflow-wrap:anywhere}
.notes li{color:var(--neg)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{padding:.2rem .5rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{font-weight:600;color:var(--muted);white-space:normal;vertical-align:bottom}.num{text-align:right}
td.pos{color:var(--pos)}td.neg{color:var(--neg)}td.unknown{color:var(--muted)}
.nodata{color:var(--muted);font-style:italic}.note,.said,figcaption{color:var(--muted);font-size:.8rem}
figure{margin:.5rem 0}figcaption{margin-top:.3rem}
.plot{display:flex;gap:.4rem}.svgbox{flex:1;min-width:0}
.axis{display:flex;flex-direction:column;justify-content:space-between;font-size:.75rem;color:var(--muted);
text-align:right;height:240px;max-height:40vw;min-height:140px}
svg{display:block;width:100%}svg.bars{height:240px;max-height:40vw;min-height:140px}
.dates{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted)}
.band.risk-on{fill:var(--on)}.band.neutral{fill:var(--neutral)}.band.risk-off{fill:var(--off)}
.bar.pos{fill:var(--pos)}.bar.neg{fill:var(--neg)}.bar.today{stroke:var(--fg);stroke-width:1.5}
line.zero{stroke:var(--muted);stroke-width:1;vector-effect:non-scaling-stroke}
.legend{font-size:.8rem;color:var(--muted)}
.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .25rem 0 .6rem;vertical-align:-1px;border-radius:2px}
.key.pos{background:var(--pos)}.key.neg{background:var(--neg)}.key.risk-on{background:var(--on)}
.key.neutral{background:var(--neutral)}.key.risk-off{background:var(--off)}
.hbar-row{display:grid;grid-template-columns:minmax(3rem,8rem) 1fr auto;gap:.5rem;align-items:center;font-size:.85rem}
.track{background:var(--bg);border-radius:3px;height:.8rem}.hbar{display:block;height:100%;background:var(--accent);border-radius:3px}
.heatmap td.heat{color:var(--fg)}
.sparks{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,15rem),1fr));gap:.5rem 1rem}
.spark-head{margin:0;font-size:.85rem}svg.line{height:80px}
svg.line polyline{fill:none;stroke:var(--accent);stroke-width:2;vector-effect:non-scaling-stroke}
svg.line circle{fill:var(--accent)}
pre{overflow-x:auto;font-size:.75rem;background:var(--bg);padding:.5rem;border-radius:4px}
@media (max-width:40rem){body{font-size:14px}header,main{padding:0 .5rem}.panel,.banner{padding:.6rem}
.banner h2{font-size:1.25rem}th,td{padding:.15rem .35rem}}
""".strip()
