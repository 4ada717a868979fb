"""`tracker query` and `tracker export daily_flows|daily_supply`."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from tracker.chains import chain_spec
from tracker.cli.common import (
    CHAIN_FILTER,
    SINCE,
    UNTIL,
    WITH_DISCOVERED,
    ExportFormat,
    OutputFormat,
    app,
    export_app,
    optional_day,
    output,
    queries,
    reading,
)
from tracker.errors import TrackerError


@app.command("query", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def query(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A bundled query name (the files in queries/, shipped in the package), a .sql file, inline SQL, or - for stdin."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
    with_discovered: bool = WITH_DISCOVERED,
) -> None:
    """Run SQL read-only. -p KEY VALUE (repeatable) binds $KEY; unset $params are NULL (= no filter)."""
    sql = queries.resolve_sql(target, sys.stdin.read() if target == "-" else None)
    result = reading.run_sql(ctx.obj["db"], sql, _params(ctx.args), with_discovered)
    print(output.render(result, format.value), end="")


def _params(args: list[str]) -> dict[str, str]:
    """-p/--param KEY VALUE pairs (typer has no repeatable two-value option)."""
    params: dict[str, str] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--param"):
            raise TrackerError(f"unexpected argument {flag!r} (parameters are -p KEY VALUE)")
        if len(rest) < 2:
            raise TrackerError("-p takes a key and a value: -p since 2026-03-01")
        key, value = rest.pop(0), rest.pop(0)
        params[key] = value
    return params


def _export(ctx: typer.Context, name: str, chain: Optional[str], since: Optional[str], until: Optional[str],
            format: ExportFormat, out: str, with_discovered: bool = False, token: Optional[str] = None) -> None:
    if chain is not None:
        chain_spec(chain)
    since_day, until_day = (optional_day(since, "--since")), (optional_day(until, "--until"))
    if since_day and until_day and since_day > until_day:
        raise TrackerError(f"--since {since_day} is after --until {until_day}")
    result = reading.daily_series(ctx.obj["db"], name, chain, since_day, until_day, with_discovered,
                                  arrow=format == ExportFormat.parquet, token=token)
    text = output.write_output(result, format.value, out)
    if text is not None:
        sys.stdout.write(text)


EXPORT_FORMAT = typer.Option(ExportFormat.csv, "--format")
OUT = typer.Option("-", "--out", help="File to write, or - for standard output.")
TOKEN_FILTER = typer.Option(None, "--token", help="A token symbol (USDT, USDC) or address (default: every token).")


@export_app.command("daily_flows")
def export_daily_flows(
    ctx: typer.Context, chain: Optional[str] = CHAIN_FILTER, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    format: ExportFormat = EXPORT_FORMAT, out: str = OUT, with_discovered: bool = WITH_DISCOVERED,
    token: Optional[str] = TOKEN_FILTER,
) -> None:
    """Daily exchange flows: chain, day, entity, inflow, outflow, netflow, cross_in, cross_out, transfers, reserve_end, token, token_address."""
    _export(ctx, "exchange_netflow_daily", chain, since, until, format, out, with_discovered, token)


@export_app.command("daily_supply")
def export_daily_supply(
    ctx: typer.Context, chain: Optional[str] = CHAIN_FILTER, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    format: ExportFormat = EXPORT_FORMAT, out: str = OUT, token: Optional[str] = TOKEN_FILTER,
) -> None:
    """Daily supply: chain, day, minted, redeemed, destroyed, net_issuance, total_supply_end, token, token_address."""
    _export(ctx, "supply_daily", chain, since, until, format, out, token=token)
