"""`tracker signals [evaluate]`."""

from __future__ import annotations

from typing import Optional

import typer

from tracker.cli.common import (
    OutputFormat,
    optional_day,
    output,
    queries,
    say,
    signals,
    signals_app,
)


@signals_app.callback(invoke_without_command=True)
def signals_compute(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First UTC day to print (all days are recomputed)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day to print, inclusive."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """Recompute the daily signals (all chains and per chain) into table `signals` and print them."""
    if ctx.invoked_subcommand is not None:
        return
    result = signals.compute_signals(ctx.obj["db"], optional_day(since, "--since"),
                                     optional_day(until, "--until"))
    shown = queries.Result([c for c in result.columns if c != "symbol"],
                           [tuple(v for c, v in zip(result.columns, row) if c != "symbol") for row in result.rows],
                           result.arrow)
    print(output.render(shown, format.value), end="")


@signals_app.command("evaluate")
def signals_evaluate(
    ctx: typer.Context,
    symbol: str = typer.Option("BTC", help="Whose forward returns (close prices from market data)."),
    horizons: str = typer.Option("1,3,7", help="Forward horizons in days, comma-separated."),
    scope: str = typer.Option("all", help="all, ethereum or tron."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """Forward returns and hit rates after each regime and shift, against the unconditional baseline."""
    result, notes = signals.evaluate(ctx.obj["db"], symbol.upper(), signals.parse_horizons(horizons), scope)
    print(output.render(result, format.value), end="")
    for note in notes:
        say(f"warning: {note}")
