"""`tracker market sync|import|levels`: venue data (funding, open interest, long/short, prices) and the
estimated liquidation levels built from it."""

from __future__ import annotations

from typing import Optional

import typer

from tracker import settings
from tracker.cli.common import levels, market, market_app, optional_day, say


@market_app.command("sync")
def market_sync(
    ctx: typer.Context,
    venue: Optional[str] = typer.Option(None, help="Comma-separated: binance, bybit, okx (default: market.venues)."),
    exchange: Optional[str] = typer.Option(None, hidden=True, help="Deprecated spelling of --venue."),
    symbol: str = typer.Option(settings.BY_KEY["market.symbols"].default, help="Comma-separated base assets (USDT perpetuals)."),
    since: Optional[str] = typer.Option(None, help="First UTC day (default: resume, or 90 days back)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day, inclusive (default: now)."),
) -> None:
    """Fetch and store funding rates, open interest, long/short ratio and daily prices (re-run daily)."""
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
