"""`tracker market sync|import|levels`: venue data (funding, open interest, long/short, prices) and the
estimated liquidation levels built from it."""

from __future__ import annotations

from typing import Optional

import typer

from tracker import settings
from tracker.errors import TrackerError
from tracker.cli.common import _Lazy, duration, levels, market, market_app, optional_day, say, stream

options_sync = _Lazy("market.options.sync")  # `market sync --options`: chain snapshots, DVOL, OKX statistics


@market_app.command("sync")
def market_sync(
    ctx: typer.Context,
    venue: Optional[str] = typer.Option(None, help="Comma-separated: binance, bybit, okx (default: market.venues); "
                                                   "with --options: deribit, okx, bybit (default: options.venues)."),
    exchange: Optional[str] = typer.Option(None, hidden=True, help="Deprecated spelling of --venue."),
    symbol: str = typer.Option(settings.BY_KEY["market.symbols"].default, help="Comma-separated base assets (USDT perpetuals)."),
    since: Optional[str] = typer.Option(None, help="First UTC day (default: resume, or 90 days back)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day, inclusive (default: now)."),
    options: bool = typer.Option(False, "--options", help="Instead: snapshot the option chains of BTC/ETH, "
                                 "Deribit's DVOL and OKX's option statistics (default venues: options.venues)."),
) -> None:
    """Fetch and store funding rates, open interest, long/short ratio and daily prices (re-run daily)."""
    if options:
        if since or until:
            raise TrackerError("--since/--until do not apply to --options: option chains are live snapshots "
                               "(DVOL resumes from what is stored)")
        taken = options_sync.sync_options(
            ctx.obj["db"], [v.strip().lower() for v in (venue.split(",") if venue else
                                                          settings.csv_list("options.venues")) if v.strip()],
            [s.strip().upper() for s in symbol.split(",") if s.strip()])
        for line in taken.lines:
            print(line)
        taken.raise_failures()
        return
    if exchange is not None:
        say("note: --exchange is deprecated, use --venue (a venue is a market-data source)")
    chosen = venue or exchange
    venues = chosen.split(",") if chosen is not None else settings.csv_list("market.venues")
    summary = market.sync_market(
        ctx.obj["db"], [v.strip().lower() for v in venues if v.strip()],
        [s.strip().upper() for s in symbol.split(",") if s.strip()],
        optional_day(since, "--since"), optional_day(until, "--until"),
    )
    for what, count in summary.rows.items():
        print(f"{what}: {count:,} rows")


@market_app.command("import")
def market_import(ctx: typer.Context, file: str = typer.Argument(..., help="A Binance daily metrics CSV.")) -> None:
    """Backfill open interest and long/short ratio from Binance's public daily metrics files."""
    interest, ratios = market.import_binance_metrics(ctx.obj["db"], file)
    print(f"{file}: {interest:,} open-interest rows, {ratios:,} long/short rows")


@market_app.command("stream")
def market_stream(
    ctx: typer.Context,
    venue: str = typer.Option("binance,bybit,okx", help="Comma-separated: binance, bybit, okx."),
    symbol: str = typer.Option(settings.BY_KEY["market.symbols"].default, help="Comma-separated base assets (USDT perpetuals)."),
    for_: Optional[str] = typer.Option(None, "--for", help="Stop by itself after this long, e.g. 90s, 15m, 1h (default: until SIGTERM/Ctrl-C)."),
    flush: float = typer.Option(2.0, help="Seconds between batched writes."),
    backfill: bool = typer.Option(True, help="At start, load the liquidations OKX's REST API still keeps (about a day)."),
) -> None:
    """Collect realized liquidations from the venues' public websockets, with the hours each stream covered."""
    seconds = duration(for_, "--for") if for_ is not None else None
    venues = [v.strip().lower() for v in venue.split(",") if v.strip()]
    symbols = [s.strip().upper() for s in symbol.split(",") if s.strip()]
    say(f"streaming liquidations ({', '.join(symbols)}) from {', '.join(venues)}"
        + (f" for {for_}" if for_ else "; stop with Ctrl-C or SIGTERM"))
    summary = stream.stream_liquidations(ctx.obj["db"], venues, symbols, seconds, flush, backfill)
    if "okx" in venues and backfill:
        print(f"okx backfill: {summary.backfilled:,} liquidations new")
    for name, count in summary.venues.items():
        print(f"{name}: {count.liquidations:,} liquidations received, {count.stored:,} new, "
              f"covered {count.covered_seconds / 3600:.2f} h, {count.reconnects} reconnects, {count.malformed} malformed frames")
    if {"binance", "okx"} & set(summary.venues):
        say("note: Binance and OKX push a sample of their liquidations (Binance at most one per symbol a second): "
            "their totals are a lower bound")


@market_app.command("levels")
def market_levels(
    ctx: typer.Context,
    symbol: Optional[str] = typer.Option(None, help="Comma-separated base assets (default: every symbol with hourly OI)."),
    since: Optional[str] = typer.Option(None, help="First UTC day to write (default: the first stored hour)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day to write, inclusive (default: the last stored hour)."),
    bucket: float = typer.Option(0.5, help="Bucket width, % of the first modelled price."),
) -> None:
    """Rebuild the ESTIMATED liquidation levels from stored hourly open interest (a model, not venue data)."""
    chosen = [s.strip().upper() for s in symbol.split(",") if s.strip()] if symbol is not None else None
    for done in levels.build_levels(ctx.obj["db"], chosen, optional_day(since, "--since"),
                                    optional_day(until, "--until"), bucket):
        print(f"{done.symbol}: {done.snapshots:,} hourly snapshots, {done.buckets:,} buckets written "
              f"(width ${done.bucket_width:,}); estimated open notional at the last snapshot ${done.open_notional_usd:,.2f}")
