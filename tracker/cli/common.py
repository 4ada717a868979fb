"""What every command module shares: the typer apps, global options, lazy core modules, option types, day parsing."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Optional

import typer
from typer.core import TyperGroup

from tracker import chains as chains_module
from tracker import settings
from tracker.days import parse_day
from tracker.errors import TrackerError

if TYPE_CHECKING:
    import click


class _Lazy:
    """A tracker module imported on first use: `tracker report` need not load web3, polars and friends."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str):  # noqa: ANN204
        return getattr(importlib.import_module(f"tracker.{self._name}"), attribute)


anchors, discovery, labels, signals, coverage = (
    _Lazy(f"analytics.{n}") for n in ("reserves", "discovery", "labels", "signals", "coverage"))
reading = _Lazy("analytics.reading")
ingest, ingest_sync = _Lazy("ingest.sources"), _Lazy("ingest.sync")
market, report, chart = _Lazy("market.sync"), _Lazy("report.daily"), _Lazy("report.chart")
html_report = _Lazy("report.html")
stream = _Lazy("market.stream")
levels = _Lazy("market.levels")  # `market levels`: the estimated liquidation-level model
job, output, chains, queries = (_Lazy(n) for n in ("job", "output", "chains", "queries"))


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


class LabelFormat(str, Enum):
    csv = "csv"
    dune = "dune"


class Scope(str, Enum):
    all = "all"
    labeled = "labeled"


SCOPE = typer.Option(Scope.all, help="all events, or only transfers touching a labeled wallet (plus supply events).")


class ReportFormat(str, Enum):
    table = "table"
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"


app = typer.Typer(
    help="Index USDT on Ethereum and Tron into DuckDB; exchange flows and risk signals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
class ChainCommands(TyperGroup):
    """`tracker sync <chain>`: the bundled chains' commands are registered at import (`cli.sync`); a chain
    declared in tracker.toml gets its command when the command line names it. Click resolves `sync`'s
    subcommand after the top-level callback has read the config file, so its chains are known by then."""

    build: Callable[[str], click.Command | None] = staticmethod(lambda name: None)  # set by `cli.sync`

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(spec.name for spec in chains_module.declared())]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or ChainCommands.build(cmd_name)


sync_app = typer.Typer(help="Index token events from a node into the database.", no_args_is_help=True,
                       cls=ChainCommands)
app.add_typer(sync_app, name="sync")
labels_app = typer.Typer(help="Wallet labels: which addresses belong to which exchange.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")
export_app = typer.Typer(help="Export aggregates as CSV, Parquet or JSON.", no_args_is_help=True)
app.add_typer(export_app, name="export")
market_app = typer.Typer(help="Funding, open interest, long/short ratio and prices.", no_args_is_help=True)
app.add_typer(market_app, name="market")
signals_app = typer.Typer(help="Risk-on / risk-off signals and their evaluation.")
app.add_typer(signals_app, name="signals")
config_app = typer.Typer(help="Settings: tracker.toml, environment, defaults.", no_args_is_help=True)
app.add_typer(config_app, name="config")


_ends_at_once = False


def end_at_once_when_done() -> None:
    """Called by a command that has closed every file it wrote and printed everything when it returns (a
    sync): the process then ends without the interpreter's teardown, ≈ 0.2 s of freeing what it built
    (`run`). Errors and other commands end as usual."""
    global _ends_at_once
    _ends_at_once = True


# A sync builds its steps on several threads at once (tracker.ingest.sync), each on frames of ≈ 10,000 rows:
# polars' own pool (a thread per core) only adds threads that spin between them (sched_yield), taking the cores
# from the node and from the steps themselves. Measured on 2 cores: ≈ 10 % less CPU and wall time a sync.
SYNC_POLARS_THREADS = "1"


def polars_threads_for_a_sync() -> None:
    """For a command that syncs (`sync`, `run`): called before polars loads; a POLARS_MAX_THREADS the user set
    is kept, and once polars is loaded its pool no longer changes."""
    os.environ.setdefault("POLARS_MAX_THREADS", SYNC_POLARS_THREADS)


def ends_at_once() -> bool:
    return _ends_at_once


def say(line: str) -> None:
    """A line for the person at the terminal, on stderr (stdout stays clean for pipes)."""
    print(line, file=sys.stderr, flush=True)


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="DuckDB file (default: $TRACKER_DB or data/tracker.duckdb)."),
    config: Optional[str] = typer.Option(None, "--config", help="Settings file (default: $TRACKER_CONFIG or ./tracker.toml)."),
) -> None:
    settings.configure(config)
    path = settings.db_path(db)
    if path == settings.DEFAULT_DB_PATH:
        path.parent.mkdir(parents=True, exist_ok=True)
    ctx.obj = {"db": path}


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(value: str, flag: str) -> float:
    """90s, 15m, 1h, 2d (or plain seconds) as seconds."""
    text = value.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:], None)
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise TrackerError(f"invalid {flag} {value!r}: expected a duration such as 90s, 15m, 1h or 2d") from None
    if not seconds > 0 or seconds == float("inf"):
        raise TrackerError(f"invalid {flag} {value!r}: expected a positive duration")
    return seconds


def optional_day(value: Optional[str], flag: str) -> date | None:
    """A --since/--until/--date value as a UTC day, or None when not given."""
    return parse_day(value, flag) if value else None


FROM_BLOCK = typer.Option(None, "--from-block", help="First block (default: resume).")
TO_BLOCK = typer.Option(None, "--to-block", help="Last block (default: confirmed head).")
SINCE = typer.Option(None, help="First UTC day, YYYY-MM-DD (instead of --from-block).")
UNTIL = typer.Option(None, help="Last UTC day, YYYY-MM-DD, inclusive (instead of --to-block).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
CHAIN_FILTER = typer.Option(None, help="A chain: ethereum, tron, arbitrum, bsc or one tracker.toml declares (default: all).")
WITH_DISCOVERED = typer.Option(False, "--with-discovered", help="Count discovered labels (deposit addresses, hot wallets).")
DATE = typer.Option(None, "--date", help="UTC day, YYYY-MM-DD (default: yesterday).")
