"""`tracker report --chart`: the last 90 days as one PNG, and the liquidation heatmap beside it (matplotlib,
an optional extra)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tracker import settings
from tracker.analytics.reading import open_for_reading
from tracker.errors import TrackerError
from tracker.queries import execute, resolve_sql

DAYS = 90
REGIME_COLOURS = {"risk_on": "#c8e6c9", "neutral": "#eeeeee", "risk_off": "#ffcdd2"}


def _pyplot():  # noqa: ANN202 - matplotlib is optional: imported only when a chart is asked for
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        raise TrackerError("--chart needs matplotlib: pip install 'stablecoin-flow-tracker[chart]'") from None
    return plt


def draw_chart(db_path: Path, day: date, out: str) -> int:
    """Netflow bars, funding and OI lines, the regime as background bands; returns the days drawn."""
    plt = _pyplot()
    from matplotlib.patches import Patch
    since = day - timedelta(days=DAYS - 1)
    with open_for_reading(db_path) as store:
        con = store.connection
        signals = execute(con, resolve_sql("signals_daily"), {"scope": "all", "since": since.isoformat(),
                                                              "until": day.isoformat()})
        symbol = signals.rows[0][signals.columns.index("symbol")] if signals.rows else "BTC"
        market = execute(con, resolve_sql("market_daily"), {"symbol": symbol, "since": since.isoformat(),
                                                            "until": day.isoformat()})
    if not signals.rows:
        raise TrackerError(f"no signals between {since} and {day}: run `tracker signals` first")
    column = {name: i for i, name in enumerate(signals.columns)}
    days = [row[column["day"]] for row in signals.rows]
    netflow = [float(row[column["netflow"]] or 0) / 1e6 for row in signals.rows]
    market_column = {name: i for i, name in enumerate(market.columns)}
    funding = {row[market_column["day"]]: row[market_column["funding_annualized_oi_weighted"]] for row in market.rows}
    interest = {row[market_column["day"]]: row[market_column["oi_usd"]] for row in market.rows}

    noon = {d: datetime(d.year, d.month, d.day, 12) for d in days}  # bars, lines and bands centred on the day
    figure, flows_axis = plt.subplots(figsize=(12, 5), dpi=100)
    for when, row in zip(days, signals.rows):
        flows_axis.axvspan(noon[when] - timedelta(hours=12), noon[when] + timedelta(hours=12),
                           color=REGIME_COLOURS[row[column["regime"]]], zorder=0, linewidth=0)
    flows_axis.bar([noon[d] for d in days], netflow, width=0.8, color=["#2e7d32" if v >= 0 else "#c62828" for v in netflow], zorder=2,
                   label="exchange netflow (M USDT)")
    flows_axis.set_ylabel("netflow, M USDT")
    funding_axis = flows_axis.twinx()
    funding_days = [d for d in days if funding.get(d) is not None]
    funding_axis.plot([noon[d] for d in funding_days], [funding[d] * 100 for d in funding_days], color="#1565c0", label="funding, % a year")
    funding_axis.set_ylabel("funding, % annualized")
    oi_axis = flows_axis.twinx()
    oi_axis.spines["right"].set_position(("axes", 1.08))
    oi_days = [d for d in days if interest.get(d) is not None]
    oi_axis.plot([noon[d] for d in oi_days], [float(interest[d]) / 1e9 for d in oi_days], color="#6a1b9a", linestyle="--",
                 label="open interest, B USD")
    oi_axis.set_ylabel("open interest, B USD")
    flows_axis.set_title(f"USDT exchange netflow, {symbol} funding and OI, regime — {since} to {day}")
    handles = sum((axis.get_legend_handles_labels()[0] for axis in (flows_axis, funding_axis, oi_axis)), [])
    handles += [Patch(color=colour, label=regime.replace("_", "-")) for regime, colour in REGIME_COLOURS.items()]
    flows_axis.legend(handles=handles, loc="upper left", fontsize="small")
    _save(plt, figure, out)
    return len(days)


def _save(plt, figure, out: str, dates: bool = True) -> None:  # noqa: ANN001 - matplotlib's own types
    if dates:
        figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(out, format="png")
    except OSError as error:
        raise TrackerError(f"cannot write {out}: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def beside(out: str, name: str) -> str:
    """Where a further figure goes: beside the chart, `last90.png` -> `last90-liquidations.png`."""
    path = Path(out)
    return str(path.with_name(f"{path.stem}-{name}{path.suffix or '.png'}"))


def draw_liquidation_heatmap(db_path: Path, day: date, out: str) -> str:
    """The level model's estimated liquidation notional per price bucket and snapshot over the last 90 days,
    realized liquidations overlaid; returns one line saying what was written, or that there is nothing to draw."""
    plt = _pyplot()
    from matplotlib.collections import PatchCollection
    from matplotlib.dates import date2num
    from matplotlib.patches import Rectangle

    since = day - timedelta(days=DAYS - 1)
    symbol = str(settings.get("signals.symbol")).upper()
    with open_for_reading(db_path) as store:
        found = execute(store.connection, resolve_sql("liquidation_heatmap"),
                        {"symbol": symbol, "since": since.isoformat(), "until": day.isoformat()})
    column = {name: i for i, name in enumerate(found.columns)}
    levels = [row for row in found.rows if row[column["kind"]] == "estimate"]
    realized = [row for row in found.rows if row[column["kind"]] == "realized"]
    if not levels:
        return (f"liquidation heatmap: no estimated liquidation levels for {symbol} between {since} and {day}: "
                "nothing drawn (`tracker market levels` builds them)")
    snapshots = sorted({row[column["ts"]] for row in levels})
    # each snapshot's strip reaches the next one; the last as wide as the one before it (an hour if alone)
    widths = [later - now for now, later in zip(snapshots, snapshots[1:])]
    until = dict(zip(snapshots, [*snapshots[1:], snapshots[-1] + (widths[-1] if widths else timedelta(hours=1))]))
    cells, values = [], []
    for row in levels:
        start = date2num(row[column["ts"]])
        low, high = float(row[column["price_low"]]), float(row[column["price_high"]])
        cells.append(Rectangle((start, low), date2num(until[row[column["ts"]]]) - start, high - low))
        values.append(float(row[column["notional_usd"]]) / 1e6)
    figure, axis = plt.subplots(figsize=(12, 5), dpi=100)
    heat = PatchCollection(cells, cmap="viridis", linewidth=0)
    heat.set_array(values)
    axis.add_collection(heat)
    figure.colorbar(heat, ax=axis, label="estimated notional, M USD (model estimate)")
    for side, colour in (("long", "#e53935"), ("short", "#43a047")):
        points = [row for row in realized if row[column["side"]] == side]
        if points:
            sizes = [max(float(row[column["notional_usd"]]) / 1e5, 4.0) for row in points]
            axis.scatter([row[column["ts"]] for row in points], [float(row[column["price_low"]]) for row in points],
                         s=sizes, color=colour, edgecolors="white", linewidths=0.5, zorder=3,
                         label=f"realized {side} liquidations (lower bound)")
    axis.autoscale_view()
    axis.xaxis_date()
    axis.set_ylabel(f"{symbol} price, USD")
    axis.set_title(f"{symbol} estimated liquidation levels (model estimate) with realized liquidations — "
                   f"{since} to {day}")
    if realized:
        axis.legend(loc="upper left", fontsize="small")
    _save(plt, figure, out)
    return f"liquidation heatmap: {len(snapshots)} snapshots of {symbol} written to {out}"


# The chart's expiry: the nearest one after the day that holds at least this share of the day's options OI (a
# weekly with little OI says little about where the open interest sits).
LARGE_EXPIRY_SHARE = 0.10


def draw_options_chart(db_path: Path, day: date, out: str) -> str:
    """Open interest by strike of the next large expiry of `signals.symbol` (calls up, puts down) with spot and
    max pain marked; returns one line saying what was written, or that there is nothing to draw."""
    plt = _pyplot()
    symbol = str(settings.get("signals.symbol")).upper()
    end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
    with open_for_reading(db_path) as store:
        con = store.connection
        pain = execute(con, resolve_sql("options_max_pain"), {"underlying": symbol, "day": day.isoformat()})
        column = {name: i for i, name in enumerate(pain.columns)}
        large = [row for row in pain.rows
                 if row[column["expiry_ts"]] >= end and row[column["share_of_oi"]] >= LARGE_EXPIRY_SHARE]
        strikes = execute(con, resolve_sql("options_by_strike"), {
            "underlying": symbol, "day": day.isoformat(), "expiry": large[0][column["expiry"]].isoformat()}) \
            if large else None
    if not large or strikes is None or not strikes.rows:
        return (f"options chart: no {symbol} options snapshot for {day} with an expiry after it holding "
                f"≥ {LARGE_EXPIRY_SHARE:.0%} of OI: nothing drawn (`tracker market sync --options` takes one)")
    chosen = large[0]
    by = {name: i for i, name in enumerate(strikes.columns)}
    prices = [float(row[by["strike"]]) for row in strikes.rows]
    calls = [float(row[by["call_oi"]]) for row in strikes.rows]
    puts = [-float(row[by["put_oi"]]) for row in strikes.rows]
    gaps = [later - now for now, later in zip(prices, prices[1:])]
    width = min(gaps) * 0.8 if gaps else max(prices[0] * 0.01, 1.0)
    figure, axis = plt.subplots(figsize=(12, 5), dpi=100)
    axis.bar(prices, calls, width=width, color="#2e7d32", label="calls (OI, coins)")
    axis.bar(prices, puts, width=width, color="#c62828", label="puts (OI, coins, drawn down)")
    axis.axhline(0, color="#424242", linewidth=0.8)
    spot, max_pain = float(chosen[column["spot"]]), float(chosen[column["max_pain"]])
    axis.axvline(spot, color="#1565c0", linewidth=1.5, label=f"spot {spot:,.0f}")
    axis.axvline(max_pain, color="#6a1b9a", linestyle="--", linewidth=1.2, label=f"max pain {max_pain:,.0f}")
    axis.set_xlabel("strike, USD")
    axis.set_ylabel(f"open interest, {symbol}")
    expiry = chosen[column["expiry"]]
    axis.set_title(f"{symbol} options open interest by strike, expiry {expiry} "
                   f"({chosen[column['share_of_oi']]:.0%} of OI) — snapshot of {day}")
    axis.legend(loc="upper left", fontsize="small")
    _save(plt, figure, out, dates=False)
    return f"options chart: {symbol} expiry {expiry}, {len(prices)} strikes written to {out}"
