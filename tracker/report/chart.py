"""`tracker report --chart`: the last 90 days as one PNG, and the liquidation heatmap beside it (matplotlib,
an optional extra)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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


def _save(plt, figure, out: str) -> None:  # noqa: ANN001 - matplotlib's own types
    figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(out, format="png")
    except OSError as error:
        raise TrackerError(f"cannot write {out}: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def heatmap_path(out: str) -> str:
    """Where the liquidation heatmap goes: beside the chart, `last90.png` -> `last90-liquidations.png`."""
    path = Path(out)
    return str(path.with_name(f"{path.stem}-liquidations{path.suffix or '.png'}"))


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
