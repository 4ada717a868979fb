"""The daily report: supply, exchange flows, reserves, market, liquidations, options and the regime for one UTC day.

Built read-only from the bundled queries; says plainly what is missing or
partial (a sync that is behind, a venue without data) instead of printing zeros.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tracker import settings
from tracker.analytics.reading import open_for_reading
from tracker.errors import TrackerError
from tracker.output import cell_text, json_value
from tracker.queries import Result, execute, resolve_sql
from tracker.store import configure_session

TOP = 5
FORMATS = ("table", "md", "json", "csv")
CLUSTER_BUCKET_PCT = 0.5  # realized clusters: buckets 0.5 % of the day's mean liquidation price wide
NEXT_EXPIRIES = 3  # options: max pain of this many expiries after the day
LOWER_BOUND = ("realized totals are a lower bound: Binance pushes at most the latest liquidation per symbol per "
               "second, and a stream that covered less than 24 h missed the rest")


@dataclass
class Report:
    day: date
    notes: list[str] = field(default_factory=list)
    sections: dict[str, Result] = field(default_factory=dict)  # title -> rows, in print order
    regime: dict[str, Any] = field(default_factory=dict)
    # title -> sentences said under the section's table (or instead of it, when it has no rows)
    section_notes: dict[str, list[str]] = field(default_factory=dict)
    # the stablecoins of the day's rows (symbols); the title names the one, or says "Stablecoin"
    tokens: list[str] = field(default_factory=list)


def table(columns: list[str], rows: list[tuple[Any, ...]]) -> Result:
    return Result(columns, rows)


def _named(con: Any, name: str, **params: Any) -> Result:
    sql = resolve_sql(name)
    return execute(con, sql, {key: (value.isoformat() if isinstance(value, date) else value)
                              for key, value in params.items()})


def _by(result: Result, column: str, value: Any) -> list[dict[str, Any]]:
    index = result.columns.index(column)
    return [dict(zip(result.columns, row)) for row in result.rows if row[index] == value]


def build_report(db_path: Path, day: date) -> Report:
    report = Report(day)
    before = day - timedelta(days=1)
    with open_for_reading(db_path) as store:
        found = _named_together(store.connection, {
            "status": ("report_status", {"day": day}),
            "supply": ("supply_daily", {"since": day, "until": day}),
            # hourly flows, summed here: exchange_netflow_daily would also compute every reserve a second time
            "flows": ("exchange_flows_hourly", {"since": day, "until": day}),
            "reserves before": ("exchange_reserves_on", {"day": before}),
            "reserves": ("exchange_reserves_on", {"day": day}),
            "cross": ("cross_exchange_matrix", {"since": day, "until": day}),
            "market": ("market_daily", {"since": day, "until": day}),
            "signals": ("signals_daily", {"since": before, "until": day}),
            "coverage": ("label_coverage_daily", {"since": day, "until": day}),
            # every kind of label, discovered ones too: what each carried, whether the flows count it or not
            "label kinds": ("flow_by_label_method", {"day": day}, {"with_discovered": "true"}),
            "liquidations": ("liquidations_daily", {"since": day, "until": day}),
            "levels": ("nearest_liquidation_levels", {"day": day}),
            "options": ("options_summary", {"since": day, "until": day}),
        })
        reserves = _reserves_for(store.connection, found["reserves before"], found["reserves"], before, day)
        symbols = sorted({row["symbol"] for row in _by(found["liquidations"], "day", day) if row["count"]})
        clusters = [_named(store.connection, "liquidation_clusters", symbol=symbol, since=day, until=day,
                           bucket_pct=CLUSTER_BUCKET_PCT) for symbol in symbols]
        underlyings = sorted({row["underlying"] for row in _by(found["options"], "day", day) if row["snapshot_ts"]})
        pain = {underlying: _named(store.connection, "options_max_pain", underlying=underlying, day=day)
                for underlying in underlyings}
    report.sections["data status"] = found["status"]
    _notes(report, found["status"])
    report.tokens = _tokens(found["supply"], found["flows"], found["cross"])
    several = len(report.tokens) > 1
    _supply(report, found["supply"], several)
    _flows(report, found["flows"], several)
    _reserves(report, reserves)
    cross = _token_columns(found["cross"], several)
    report.sections["cross-exchange"] = table(cross.columns, cross.rows[:TOP * 2])
    report.sections["market"] = found["market"]
    _liquidations(report, found["liquidations"], clusters, found["levels"])
    _options(report, found["options"], pain)
    _coverage(report, found["coverage"], found["label kinds"], several)
    _regime(report, found["signals"])
    return report


def _named_together(con: Any, wanted: dict[str, tuple[Any, ...]]) -> dict[str, Result]:
    """Run independent named queries side by side, each on its own cursor of the one read-only connection
    (name, params[, session variables]).

    Most of a one-day report is per-query planning and small scans, which DuckDB runs on one thread each:
    two at a time use both cores (0.21 s -> 0.17 s at 100M transfers).
    """
    def one(name: str, params: dict[str, Any], variables: dict[str, str] | None = None) -> Result:
        cursor = con.cursor()
        try:
            configure_session(cursor)  # a cursor is a new session
            for variable, value in (variables or {}).items():
                cursor.execute(f"SET VARIABLE {variable} = {value}")
            return _named(cursor, name, **params)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(one, *query) for key, query in wanted.items()}
        return {key: future.result() for key, future in futures.items()}


def _reserves_for(con: Any, before_rows: Result, day_rows: Result, before: date, day: date) -> Result:
    """Reserves on two days from the anchors read after them (cheap); from the all-days view when one is missing."""
    rows = before_rows.rows + day_rows.rows
    index = day_rows.columns.index("reserve_end")
    if all(row[index] is not None for row in rows):
        return table(day_rows.columns, rows)
    return _named(con, "exchange_reserves_daily", since=before, until=day)


def _notes(report: Report, status: Result) -> None:
    chains = [dict(zip(status.columns, row)) for row in status.rows if row[0] == "chain"]
    venues = [dict(zip(status.columns, row)) for row in status.rows if row[0] == "market"]
    if not chains:
        report.notes.append("no chain is synced yet: run `tracker sync ethereum` / `tracker sync tron`")
    for chain in chains:
        until = _utc_minute(chain["synced_until"]) if chain["synced_until"] else "?"
        if chain["status"] == "partial":
            report.notes.append(f"{chain['source']}: synced only to {until}: its flows and supply for "
                                f"{report.day} are partial")
        elif chain["status"] == "behind":
            report.notes.append(f"{chain['source']}: synced only to {until}: no data for {report.day} "
                                f"(run `tracker sync {chain['source']}`)")
        elif chain["status"] == "not synced":
            report.notes.append(f"{chain['source']}: indexing starts after {report.day}: no data for the day")
    if not venues:
        report.notes.append("no market data: run `tracker market sync`")
    missing = sorted({f"{v['source']} {v['symbol']}" for v in venues if v["status"] == "missing"})
    if missing:
        report.notes.append(f"market data missing for {report.day}: {', '.join(missing)}")


def _tokens(*results: Result) -> list[str]:
    """The stablecoins in the day's rows. With more than one, the report names the token on each line and adds
    the stablecoins' total; with one (USDT alone) its tables read as they always did."""
    symbols: set[str] = set()
    for result in results:
        if "token" in result.columns:
            index = result.columns.index("token")
            symbols |= {row[index] for row in result.rows}
    return sorted(symbols)


def _token_columns(result: Result, several: bool) -> Result:
    """A query's rows without token_address, and without `token` unless the day holds several stablecoins."""
    dropped = {"token_address"} | (set() if several else {"token"})
    kept = [i for i, column in enumerate(result.columns) if column not in dropped]
    return table([result.columns[i] for i in kept], [tuple(row[i] for i in kept) for row in result.rows])


def _supply(report: Report, supply: Result, several: bool) -> None:
    """Per chain (and token, when several): minted, redeemed, destroyed, net issuance, total supply; with several
    tokens, a last line adds them up in USD (the total supply unknown while one token's is)."""
    shown = _token_columns(supply, several)
    rows = list(shown.rows)
    if several and rows:
        amounts = ("minted", "redeemed", "destroyed", "net_issuance", "total_supply_end")
        total: list[Any] = ["all", report.day]
        for name in amounts:
            values = [row[shown.columns.index(name)] for row in rows]
            total.append(None if None in values else sum(values, Decimal(0)))
        rows.append((*total, "total"))
    report.sections["supply"] = table(shown.columns, rows)


def _flows(report: Report, flows: Result, several: bool = False) -> None:
    per_line: dict[tuple[str, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    per_entity: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for row in (dict(zip(flows.columns, values)) for values in flows.rows):
        lines = [(row["chain"], row["token"]), ("all", "total")] if several else [(row["chain"],)]
        for line in lines:
            # cross_in alone: a move between exchanges is one entity's cross_out and another's cross_in
            for i, name in enumerate(("inflow", "outflow", "netflow", "cross_in")):
                per_line[line][i] += row[name]
        entity = per_entity[row["entity"]]
        for i, name in enumerate(("inflow", "outflow", "netflow")):
            entity[i] += row[name]
    report.sections["exchange flows by chain"] = table(
        ["chain", *(["token"] if several else []), "inflow", "outflow", "netflow", "cross_exchange"],
        # the stablecoins' total ("all", "total") last
        [(*line, *values) for line, values in sorted(per_line.items(), key=lambda item: (item[0][0] == "all", item[0]))],
    )
    ranked = sorted(per_entity.items(), key=lambda item: (item[1][2], item[0]))
    entity_columns = ["entity", "inflow", "outflow", "netflow"]
    report.sections["top net inflows"] = table(
        entity_columns, [(name, *values) for name, values in reversed(ranked) if values[2] > 0][:TOP])
    report.sections["top net outflows"] = table(
        entity_columns, [(name, *values) for name, values in ranked if values[2] < 0][:TOP])


def _reserves(report: Report, reserves: Result) -> None:
    """Per entity across chains: the day's closing reserve and its change (unknown while a wallet lacks an anchor)."""
    # (entity, day) -> the chains' reserves; one unknown chain makes the entity's total unknown
    parts: dict[str, dict[date, list[Decimal | None]]] = defaultdict(lambda: defaultdict(list))
    for row in (dict(zip(reserves.columns, values)) for values in reserves.rows):
        parts[row["entity"]][row["day"]].append(row["reserve_end"])
    totals = {entity: {when: None if None in values else sum(values, Decimal(0)) for when, values in by_day.items()}
              for entity, by_day in parts.items()}
    lines = []
    for entity, by_day in totals.items():
        now, was = by_day.get(report.day), by_day.get(report.day - timedelta(days=1))
        if report.day not in by_day:
            continue
        change = now - was if now is not None and was is not None else None
        lines.append((entity, now, change, float(change / was) if change is not None and was else None))
    lines.sort(key=lambda line: (-(line[1] or 0), line[0]))
    report.sections["exchange reserves"] = table(["entity", "reserve_end", "change", "change_pct"], lines)


def _liquidations(report: Report, daily: Result, clusters: list[Result], levels: Result) -> None:
    """Realized liquidations per symbol, venue and side with the hours their stream covered; the day's largest
    realized clusters; the estimated levels nearest the close. No data at all: one line, not a wall of zeros."""
    if not daily.rows and not levels.rows:
        report.sections["liquidations"] = table(["symbol", "venue", "side", "count", "notional_usd"], [])
        report.section_notes["liquidations"] = [
            f"no liquidation data for {report.day}: no stream covered the day, none are stored "
            "(`tracker market stream`) and the level model has no snapshot (`tracker market levels`)"]
        return
    rows = [(row["symbol"], row["venue"], row["side"], row["count"], row["notional_usd"], row["coverage_hours"],
             row["lower_bound"]) for row in (dict(zip(daily.columns, values)) for values in daily.rows)]
    report.sections["liquidations"] = table(
        ["symbol", "venue", "side", "count", "notional_usd", "coverage_hours", "lower_bound"], rows)
    report.section_notes["liquidations"] = (
        [f"side is the position liquidated; {LOWER_BOUND}"] if rows else
        [f"no realized liquidations stored for {report.day} and no stream covered it: unknown, not zero"])
    top = []
    for result in clusters:
        ranked = sorted((dict(zip(result.columns, values)) for values in result.rows),
                        key=lambda row: (-row["notional_usd"], row["price_low"]))
        top += [(row["symbol"], row["side"], row["price_low"], row["price_high"], row["count"], row["notional_usd"],
                 row["share"], row["lower_bound"]) for row in ranked[:TOP]]
    if top:
        report.sections["liquidation clusters"] = table(
            ["symbol", "side", "price_low", "price_high", "count", "notional_usd", "share", "lower_bound"], top)
        report.section_notes["liquidation clusters"] = [
            f"realized, the {TOP} largest per symbol: buckets {CLUSTER_BUCKET_PCT} % of the day's mean liquidation "
            "price wide (`tracker query liquidation_clusters`); share = of the side's total; lower bound as above"]
    near = [(row["symbol"], row["position"], row["side"], row["price_low"], row["price_high"], row["distance_pct"],
             row["est_notional_usd"]) for row in (dict(zip(levels.columns, values)) for values in levels.rows)]
    report.sections["estimated liquidation levels"] = table(
        ["symbol", "position", "side", "price_low", "price_high", "distance_pct", "est_notional_usd"], near)
    snapshots = sorted({(row[0], row[1]) for row in levels.rows})
    report.section_notes["estimated liquidation levels"] = (
        ["ESTIMATE from the level model, not venue data: open notional that would be liquidated if price reached "
         "the bucket, nearest below and above the close; snapshot "
         + ", ".join(f"{symbol} {_utc_minute(when)}" for symbol, when in snapshots)] if near else
        [f"no estimated liquidation levels for {report.day} (the level model has no snapshot for the day)"])


OPTIONS_NOTE = ("each venue's last snapshot of the day, venues added up; OI in coins, USD = coins × the venue's "
                "underlying price; spot = the median underlying price of the nearest expiry; key strikes = the largest "
                "OI (calls + puts, every expiry) within ±10% of spot; iv = OI-weighted mark IV; expiring 7d = expiries "
                "before the end of the 7th day after this one; dvol = Deribit's DVOL daily close, change against 7 "
                "days before (`tracker query options_summary`)")


def _options(report: Report, summary: Result, pain: dict[str, Result]) -> None:
    """Per underlying: key strikes, put/call, IV, DVOL and its change, OI expiring this week; the max pain of the
    next expiries. No snapshot for the signals' symbol: said in one line, never zeros."""
    symbol = str(settings.get("signals.symbol")).upper()
    found = {row["underlying"]: row for row in _by(summary, "day", report.day)}
    columns = ["underlying", "snapshot_ts", "spot", "oi_usd", "put_call_ratio", "iv_oi_weighted", "key_strikes",
               "oi_expiring_7d_usd", "dvol", "dvol_change_7d"]
    report.sections["options"] = table(columns, [tuple(found[u][c] for c in columns) for u in sorted(found)])
    said = []
    absent = sorted({symbol} - {u for u, row in found.items() if row["snapshot_ts"] is not None})
    if not found:
        said.append(f"no options data for {report.day}: no snapshot of the day and no DVOL candle "
                    "(`tracker market sync --options` takes them)")
    elif absent:
        said.append(f"no {', '.join(absent)} options snapshot for {report.day}: chain figures unknown "
                    "(`tracker market sync --options` takes one)")
    if found:
        said.append(OPTIONS_NOTE)
    report.section_notes["options"] = said
    end = datetime(report.day.year, report.day.month, report.day.day, tzinfo=timezone.utc) + timedelta(days=1)
    rows = []
    for underlying, result in sorted(pain.items()):
        upcoming = [row for row in (dict(zip(result.columns, values)) for values in result.rows)
                    if row["expiry_ts"] >= end][:NEXT_EXPIRIES]
        rows += [(underlying, row["expiry"], row["max_pain"], row["spot"], row["call_oi"], row["put_oi"],
                  row["put_call_ratio"], row["iv_oi_weighted"], row["oi_usd"]) for row in upcoming]
    if rows:
        report.sections["options max pain"] = table(
            ["underlying", "expiry", "max_pain", "spot", "call_oi", "put_oi", "put_call_ratio", "iv_oi_weighted",
             "oi_usd"], rows)
        report.section_notes["options max pain"] = [
            f"the next {NEXT_EXPIRIES} expiries: max pain = the listed strike where the expiry's options would pay "
            "holders the least (calls max(0, S − K) × OI, puts max(0, K − S) × OI); call_oi / put_oi in coins "
            "(`tracker query options_max_pain`)"]


def _coverage(report: Report, coverage: Result, kinds: Result, several: bool = False) -> None:
    """One line per chain (and token, when several): the share of the day's volume that touched a labeled wallet,
    and which kinds of label carried the day's exchange flow (discovered ones are not in the flows above)."""
    def line(row: dict[str, Any]) -> tuple[str, ...]:
        return (row["chain"], row["token"]) if several else (row["chain"],)

    carried: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for row in (dict(zip(kinds.columns, values)) for values in kinds.rows):
        counted = "" if row["method"] in ("bundled", "imported") else " (not counted)"
        carried[line(row)].append(f"{row['method']} {_fixed(row['share_pct'], 1)}%{counted}")
    lines = [(*line(row), row["day_volume"], row["volume"], row["share_pct"] / 100, ", ".join(carried[line(row)]))
             for row in _by(coverage, "entity", "(any label)")]
    report.sections["label coverage"] = table(
        ["chain", *(["token"] if several else []), "volume", "labeled_volume", "coverage", "flow_by_label_kind"],
        sorted(lines))


def _regime(report: Report, signals: Result) -> None:
    today = {row["scope"]: row for row in _by(signals, "day", report.day)}
    yesterday = {row["scope"]: row for row in _by(signals, "day", report.day - timedelta(days=1))}
    if "all" not in today:
        report.notes.append(f"no signal for {report.day}: run `tracker signals` (or `tracker run`)")
        report.sections["regime"] = table(["scope", "regime", "score", "confidence"], [])
        return
    rows = [(scope, row["regime"], row["score"], row["confidence"], row["reasons"], row["missing"])
            for scope, row in today.items()]
    report.sections["regime"] = table(["scope", "regime", "score", "confidence", "reasons", "missing"], rows)
    now, was = today["all"], yesterday.get("all")
    changes = []
    if was is None:
        changes.append("no signal the day before")
    else:
        if now["regime"] != was["regime"]:
            changes.append(f"regime {was['regime']} → {now['regime']}")
        else:
            changes.append(f"regime unchanged ({now['regime']})")
        changes.append(f"score {was['score']:+.2f} → {now['score']:+.2f}")
        rules_now, rules_was = set(filter(None, now["rules"].split(","))), set(filter(None, was["rules"].split(",")))
        if rules_now - rules_was:
            changes.append(f"new: {', '.join(sorted(rules_now - rules_was))}")
        if rules_was - rules_now:
            changes.append(f"gone: {', '.join(sorted(rules_was - rules_now))}")
    report.regime = {"regime": now["regime"], "score": now["score"], "confidence": now["confidence"],
                     "shift": now["shift"], "reasons": now["reasons"], "missing": now["missing"],
                     "since_yesterday": "; ".join(changes)}


def _headline(report: Report) -> list[str]:
    """The regime, then what changed since yesterday: one line in md, two in `table`."""
    if not report.regime:
        return ["regime: unknown (no signal for the day)"]
    regime = report.regime
    return [f"regime: {regime['regime']} (score {regime['score']:+.2f}, confidence "
            f"{readable('confidence', regime['confidence'])})"
            f"{' — shifted today' if regime['shift'] else ''}", f"since yesterday: {regime['since_yesterday']}"]


# How a person reads each column in `table` and `md`; csv and json keep the exact stored values.
# A new section gets readable figures by naming its columns after these; other columns print as stored.
KINDS = {
    **dict.fromkeys(("inflow", "outflow", "cross_exchange", "minted", "redeemed", "destroyed", "reserve_end",
                     "amount", "volume", "labeled_volume"), "usdt"),
    **dict.fromkeys(("netflow", "net_issuance", "change"), "usdt_change"),
    **dict.fromkeys(("total_supply_end", "oi_usd"), "usd_size"),
    **dict.fromkeys(("change_pct", "oi_change_1d", "oi_change_7d"), "pct_change"),
    **dict.fromkeys(("funding_annualized", "funding_annualized_oi_weighted", "oi_drawdown_90d"), "pct"),
    "funding_rate": "rate", "confidence": "share", "coverage": "pct", "score": "score", "long_short_ratio": "number",
    "close": "number", "transfers": "count", "day": "date", "synced_until": "time",
    **dict.fromkeys(("notional_usd", "est_notional_usd"), "usd_size"),
    **dict.fromkeys(("price_low", "price_high"), "number"),
    **dict.fromkeys(("spot", "max_pain", "put_call_ratio", "dvol", "call_oi", "put_oi"), "number"),
    "iv_oi_weighted": "pct", "dvol_change_7d": "pct_change", "oi_expiring_7d_usd": "usd_size", "expiry": "date",
    "snapshot_ts": "time",
    "count": "count", "share": "pct", "distance_pct": "pct_change", "coverage_hours": "hours", "lower_bound": "flag",
    "reasons": "note", "missing": "note", "flow_by_label_kind": "note",  # sentences: printed under the table, not in a cell
}
UNKNOWN = "—"  # a NULL figure (no anchor, no supply yet): never printed as 0
WIDTH = 100  # text wraps here in `table`; a table wider than this is printed turned (one line per column)


def _decimal(value: Any) -> Decimal:
    # Floats from SQL carry binary noise (-0.05474999999999999 is -0.05475): 15 digits first, so that
    # rounding half up gives the figure a person computes (-5.48 %, not -5.47 %).
    return value if isinstance(value, Decimal) else Decimal(f"{value:.15g}" if isinstance(value, float) else value)


def _fixed(value: Any, places: int) -> str:
    """Thousands separators, rounded half up; a non-zero value that would read as 0 keeps its first digit."""
    number = _decimal(value)
    if not number.is_finite():
        return str(value)
    rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if not rounded and number:
        rounded = number.quantize(Decimal(1).scaleb(number.adjusted()), ROUND_HALF_UP)
    return f"{rounded if rounded else abs(rounded):,f}"


def _usdt(value: Any) -> str:
    """Whole USDT from 1,000 up (cents are noise next to millions), cents below; 0.000001 stays visible."""
    number = _decimal(value)
    return "0" if not number else _fixed(number, 0 if abs(number) >= 1000 else 2)


def _usd_size(value: Any) -> str:
    """$45.04M / $1.00B for columns about size (supply, open interest); the exact figure is in csv/json."""
    number = _decimal(value)
    sign = "-" if number < 0 else ""
    for exponent, suffix in ((12, "T"), (9, "B"), (6, "M"), (3, "K")):
        scaled = abs(number).scaleb(-exponent).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if scaled >= 1:  # after rounding: 999,999,999 is $1.00B, not $1000.00M
            return f"{sign}${scaled:,f}{suffix}"
    return f"{sign}${_usdt(abs(number))}"


def _signed(text: str, value: Any) -> str:
    return f"+{text}" if value > 0 else text


def _percent(value: Any, places: int) -> str:
    return _fixed(_decimal(value) * 100, places) + "%"


def _utc_minute(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")


_BY_KIND: dict[str, Callable[[Any], str]] = {
    "usdt": _usdt,
    "usdt_change": lambda value: _signed(_usdt(value), value),
    "usd_size": _usd_size,
    "pct": lambda value: _percent(value, 2),
    "pct_change": lambda value: _signed(_percent(value, 2), value),
    "rate": lambda value: _percent(value, 4),  # funding per 8 h is a tiny fraction: -0.0050 %
    "share": lambda value: _percent(value, 0),
    "score": lambda value: _signed(_fixed(value, 2), value),
    "number": lambda value: _fixed(value, 2),
    "count": lambda value: f"{int(value):,}",
    "date": lambda value: value.strftime("%Y-%m-%d"),
    "time": _utc_minute,
    "hours": lambda value: f"covered {_fixed(value, 1)} of 24 h",
    "flag": lambda value: "lower bound" if value else "",
}


def readable(column: str, value: Any) -> str:
    """One cell as a person reads it, by the column's kind (KINDS)."""
    kind = KINDS.get(column)
    if value is None:
        return UNKNOWN if kind in _BY_KIND else ""
    if kind in _BY_KIND:
        return _BY_KIND[kind](value)
    return _cell(value)


def _cell(value: Any) -> str:
    """Columns of no known kind: floats to 6 significant digits; exact decimals stay as stored."""
    return f"{value:.6g}" if isinstance(value, float) else cell_text(value)


def _right_aligned(result: Result, index: int) -> bool:
    kind = KINDS.get(result.columns[index])
    if kind is not None:
        return kind in _BY_KIND and kind not in ("date", "time")
    values = [row[index] for row in result.rows if row[index] is not None]
    return bool(values) and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values)


@dataclass
class _Laid:
    """A section ready to print: the table's columns and cells, and its sentences (scope, column, text)."""
    columns: list[str]
    right: list[bool]
    rows: list[list[str]]
    notes: list[tuple[str, str, str]]


def _lay_out(result: Result) -> _Laid:
    kept = [i for i, column in enumerate(result.columns) if KINDS.get(column) != "note"]
    said = [i for i, column in enumerate(result.columns) if KINDS.get(column) == "note"]
    return _Laid(
        [result.columns[i] for i in kept],
        [_right_aligned(result, i) for i in kept],
        [[readable(result.columns[i], row[i]) for i in kept] for row in result.rows],
        [(readable(result.columns[0], row[0]), result.columns[i], row[i]) for row in result.rows for i in said
         if row[i]],
    )


def _md_section(result: Result) -> str:
    if not result.rows:
        return "_no data_\n"
    laid = _lay_out(result)
    lines = ["| " + " | ".join(laid.columns) + " |", "|" + "".join("---:|" if r else "---|" for r in laid.right)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in laid.rows]
    if laid.notes:
        lines.append("")
        lines += [f"- {key} — {column}: {text}" for key, column, text in laid.notes]
    return "\n".join(lines) + "\n"


def _aligned(columns: list[str], right: list[bool], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)).rstrip()

    return [line(columns), "  ".join("-" * w for w in widths), *map(line, rows)]


def _wrap(text: str, indent: int = 0) -> list[str]:
    # never inside a word or at a hyphen: "risk-off" and addresses stay whole
    return textwrap.wrap(text, WIDTH, subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)


def _table_section(result: Result) -> list[str]:
    if not result.rows:
        return ["no data"]
    laid = _lay_out(result)
    lines = _aligned(laid.columns, laid.right, laid.rows)
    if max(map(len, lines)) > WIDTH:  # many columns (market): one line per column, one column per row
        lines = _aligned([laid.columns[0], *(row[0] for row in laid.rows)], [False] + [True] * len(laid.rows),
                         [[column, *(row[i] for row in laid.rows)] for i, column in enumerate(laid.columns) if i])
    keys = max((len(key) for key, _, _ in laid.notes), default=0)
    last = None
    for key, column, text in laid.notes:
        # "all      — reasons: …" then "           missing: …": the key once, every text starting in one column
        lead = f"{key:<{keys}} — " if key != last else " " * (keys + 3)
        lines += ([""] if last is None else []) + _wrap(f"{lead}{column}: {text}", len(lead) + len(column) + 2)
        last = key
    return lines


def report_title(report: Report) -> str:
    coin = report.tokens[0] if len(report.tokens) == 1 else "USDT" if not report.tokens else "Stablecoin"
    return f"{coin} flows and risk report — {report.day} (UTC)"


def render_report(report: Report, file_format: str) -> str:
    title = report_title(report)
    if file_format == "json":
        document = {
            "date": report.day.isoformat(),
            "notes": report.notes,
            "regime": {key: json_value(value) for key, value in report.regime.items()} or None,
            "sections": {name: [dict(zip(result.columns, map(json_value, row))) for row in result.rows]
                         for name, result in report.sections.items()},
            "section_notes": report.section_notes,
        }
        return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["section", "row", "column", "value"])
        for note in report.notes:
            writer.writerow(["notes", "", "note", note])
        for name, result in report.sections.items():
            for number, row in enumerate(result.rows, 1):
                for column, value in zip(result.columns, row):
                    writer.writerow([name, number, column, cell_text(value)])
            for text in report.section_notes.get(name, []):
                writer.writerow([name, "", "note", text])
        return buffer.getvalue()
    if file_format == "md":
        parts = [f"# {title}\n", f"**{'; '.join(_headline(report))}**\n"]
        parts += [f"> {note}\n" for note in report.notes]
        for name, result in report.sections.items():
            said = report.section_notes.get(name, [])
            body = _md_section(result) if result.rows or not said else ""
            parts.append(f"## {name}\n\n{body}" + "".join(f"{chr(10) if body else ''}_{text}_\n" for text in said))
        return "\n".join(parts)
    if file_format == "table":
        lines = [title, "=" * len(title)]
        for line in _headline(report):
            lines += _wrap(line, 2)
        for note in report.notes:
            lines += _wrap(f"note: {note}", 6)
        for name, result in report.sections.items():
            said = report.section_notes.get(name, [])
            lines += ["", name, "-" * len(name), *(_table_section(result) if result.rows or not said else [])]
            for text in said:
                lines += ([""] if result.rows else []) + _wrap(f"note: {text}", 6)
        return "\n".join(lines) + "\n"
    raise TrackerError(f"unknown report format {file_format!r} (expected {', '.join(FORMATS)})")
