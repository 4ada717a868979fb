"""The `tracker` command line: thin wrappers that parse, call one core function, print."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from typing import Optional

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from . import settings
from .chains import ETHEREUM, TRON
from .errors import TrackerError
from .http import HttpClient
from .node import parse_day
from .sync import Progress as SyncProgress
from .sync import SyncOptions, SyncSummary, sync_chain
from .trongrid import sync_trongrid


class TronSource(str, Enum):
    jsonrpc = "jsonrpc"
    trongrid = "trongrid"


app = typer.Typer(
    help="Index USDT on Ethereum and Tron into DuckDB; exchange flows and risk signals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sync_app = typer.Typer(help="Index token events from a node into the database.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")

stderr = Console(stderr=True)


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="DuckDB file (default: $TRACKER_DB or data/tracker.duckdb)."),
) -> None:
    path = settings.db_path(db)
    if path == settings.DEFAULT_DB_PATH:
        path.parent.mkdir(parents=True, exist_ok=True)
    ctx.obj = {"db": path}


class _ProgressBar:
    """Blocks done, logs, logs/s and ETA on stderr, so stdout stays clean for pipes."""

    def __init__(self, label: str) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} blocks"),
            TextColumn("{task.fields[logs]:,} logs"),
            TextColumn("{task.fields[rate]:,.0f} logs/s"),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
        )
        self.label = label
        self.task: int | None = None

    def __call__(self, update: SyncProgress) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=update.blocks_total, logs=0, rate=0.0)
        elapsed = self.progress.tasks[0].elapsed or 0.0
        rate = update.logs / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=update.blocks_done, logs=update.logs, rate=rate)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _summary_lines(summary: SyncSummary) -> list[str]:
    lines = []
    if summary.reorg:
        reorg = summary.reorg
        lines.append(
            f"reorg: block {reorg.detected_at:,} is no longer on the node's chain; rolled back to block "
            f"{reorg.ancestor:,} and removed {reorg.rows_removed:,} rows"
        )
    if summary.up_to_date:
        lines.append(f"{summary.chain} {summary.token}: already up to date")
    else:
        blocks = summary.to_block - summary.from_block + 1
        rate = summary.logs / summary.seconds if summary.seconds > 0 else 0.0
        lines.append(
            f"{summary.chain} {summary.token}: blocks {summary.from_block:,}-{summary.to_block:,} ({blocks:,} blocks), "
            f"{summary.transfers:,} transfers, {summary.supply_events:,} supply events in {summary.seconds:.1f}s "
            f"({rate:,.0f} logs/s; {summary.requests:,} eth_getLogs requests, {summary.refusals:,} refused and split)"
        )
    for low, high in summary.gaps:
        lines.append(f"warning: blocks {low:,}-{high:,} are not indexed (sync them with --from-block/--to-block)")
    return lines


def _run_sync(run: Callable[[Optional[_ProgressBar]], SyncSummary], label: str, quiet: bool) -> None:
    bar = None if quiet else _ProgressBar(label)
    try:
        summary = run(bar)
    finally:
        if bar:
            bar.close()
    for line in _summary_lines(summary):
        print(line)


FROM_BLOCK = typer.Option(None, "--from-block", help="First block (default: resume).")
TO_BLOCK = typer.Option(None, "--to-block", help="Last block (default: confirmed head).")
SINCE = typer.Option(None, help="First UTC day, YYYY-MM-DD (instead of --from-block).")
UNTIL = typer.Option(None, help="Last UTC day, YYYY-MM-DD, inclusive (instead of --to-block).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")


def _sync_options(
    url: str, token: str, from_block: Optional[int], to_block: Optional[int], since: Optional[str],
    until: Optional[str], confirmations: Optional[int], chunk_size: int, source: str = "jsonrpc",
) -> SyncOptions:
    return SyncOptions(
        rpc_url=url,
        token=token,
        from_block=from_block,
        to_block=to_block,
        since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None,
        confirmations=confirmations,
        chunk_size=chunk_size,
        source=source,
    )


@sync_app.command("ethereum")
def sync_ethereum(
    ctx: typer.Context,
    rpc: Optional[str] = typer.Option(None, help="JSON-RPC URL (default: $TRACKER_ETH_RPC or a public node)."),
    token: str = typer.Option(settings.ETHEREUM_USDT, help="Token contract address."),
    from_block: Optional[int] = FROM_BLOCK,
    to_block: Optional[int] = TO_BLOCK,
    since: Optional[str] = SINCE,
    until: Optional[str] = UNTIL,
    confirmations: int = typer.Option(12, help="Blocks newer than head minus this are not indexed."),
    chunk_size: int = typer.Option(2000, "--chunk-size", help="Blocks per eth_getLogs to start with."),
    quiet: bool = QUIET,
) -> None:
    """Index USDT Transfer/Issue/Redeem/DestroyedBlackFunds events from an Ethereum node."""
    options = _sync_options(
        settings.eth_rpc_url(rpc), ETHEREUM.normalize_token(token, "--token"),
        from_block, to_block, since, until, confirmations, chunk_size,
    )
    _run_sync(lambda bar: sync_chain(ctx.obj["db"], ETHEREUM, options, on_progress=bar), "ethereum", quiet)


@sync_app.command("tron")
def sync_tron(
    ctx: typer.Context,
    source: TronSource = typer.Option(TronSource.jsonrpc, help="jsonrpc (eth_getLogs) or trongrid (REST events)."),
    rpc: Optional[str] = typer.Option(
        None, help="JSON-RPC URL, or TronGrid base URL with --source trongrid "
        "(default: $TRACKER_TRON_RPC / $TRACKER_TRONGRID_URL or api.trongrid.io)."
    ),
    token: str = typer.Option(settings.TRON_USDT, help="Token contract: base58 T…, 41… or 0x… hex."),
    from_block: Optional[int] = FROM_BLOCK,
    to_block: Optional[int] = TO_BLOCK,
    since: Optional[str] = SINCE,
    until: Optional[str] = UNTIL,
    confirmations: Optional[int] = typer.Option(
        None, help="Index up to head minus this (default: the node's finalized, i.e. solidified, block)."
    ),
    chunk_size: Optional[int] = typer.Option(
        None, "--chunk-size", help="Blocks per eth_getLogs to start with (100), or per TronGrid window (1200)."
    ),
    quiet: bool = QUIET,
) -> None:
    """Index USDT-TRC20 events from Tron (addresses stored in base58)."""
    if chunk_size is None:
        chunk_size = 100 if source is TronSource.jsonrpc else 1200
    options = _sync_options(
        settings.tron_rpc_url(rpc) if source is TronSource.jsonrpc else settings.trongrid_url(rpc),
        TRON.normalize_token(token, "--token"),
        from_block, to_block, since, until, confirmations, chunk_size, source.value,
    )
    if source is TronSource.jsonrpc:
        http = HttpClient(headers=settings.trongrid_headers())
        run = lambda bar: sync_chain(ctx.obj["db"], TRON, options, on_progress=bar, http=http)  # noqa: E731
    else:
        run = lambda bar: sync_trongrid(ctx.obj["db"], options, on_progress=bar)  # noqa: E731
    _run_sync(run, "tron", quiet)


def main() -> None:
    try:
        app()
    except TrackerError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except duckdb.Error as error:
        print(f"error: database: {str(error).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: everything up to the last committed step is kept; re-run to resume", file=sys.stderr)
        sys.exit(130)
