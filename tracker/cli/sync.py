"""`tracker sync <chain>`: one command per chain spec, with that chain's sources, defaults and help."""


from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Optional

import typer
import typer.main

from tracker import settings
from tracker.chains import CHAINS, ChainSpec
from tracker.cli.common import (
    ChainCommands,
    FROM_BLOCK,
    QUIET,
    SINCE,
    TO_BLOCK,
    UNTIL,
    end_at_once_when_done,
    polars_threads_for_a_sync,
    SCOPE,
    Scope,
    ingest,
    ingest_sync,
    optional_day,
    sync_app,
)
from tracker import tokens
from tracker.tokens import resolve_token


if TYPE_CHECKING:
    import click


class _ProgressBar:
    """Blocks done, logs, logs/s and ETA on stderr, so stdout stays clean for pipes."""

    def __init__(self, label: str) -> None:
        from rich.console import (
            Console,  # only syncs draw a bar: readers need not import rich
        )
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} blocks"),
            TextColumn("{task.fields[logs]:,} logs"),
            TextColumn("{task.fields[rate]:,.0f} logs/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.label = label
        self.task: int | None = None

    def __call__(self, update: "ingest_sync.Progress") -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=update.blocks_total, logs=0, rate=0.0)
        elapsed = self.progress.tasks[0].elapsed or 0.0
        rate = update.logs / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=update.blocks_done, logs=update.logs, rate=rate)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _summary_lines(summary: "ingest_sync.SyncSummary") -> list[str]:
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
    if summary.anchor:
        block, wallets = summary.anchor
        ahead = summary.to_block is not None and block > summary.to_block
        lines.append(f"anchored balanceOf of {wallets:,} wallets and totalSupply at block {block:,}"
                     + (" (the node serves only its latest state; used once a sync reaches that block)" if ahead else ""))
    if summary.anchor_warning:
        lines.append(f"warning: {summary.anchor_warning}")
    for low, high in summary.gaps:
        lines.append(f"warning: blocks {low:,}-{high:,} are not indexed (sync them with --from-block/--to-block)")
    return lines


def _run_sync(run: Callable[[Optional[_ProgressBar]], "ingest_sync.SyncSummary"], label: str, quiet: bool) -> None:
    polars_threads_for_a_sync()
    bar = None if quiet else _ProgressBar(label)
    try:
        summary = run(bar)
    finally:
        if bar:
            bar.close()
    for line in _summary_lines(summary):
        print(line)
    end_at_once_when_done()  # the file is closed and committed: nothing is left for the teardown to do


def _help_for(spec: ChainSpec) -> dict[str, str]:
    """Option help built from the spec: each source's default URL variable, chunk size and finality."""
    envs = " / ".join(f"${settings.BY_KEY[source.url_setting].env}" for source in spec.sources)
    others = [source.name for source in spec.sources[1:]]
    rpc = "JSON-RPC URL" + (f", or the base URL with --source {' / '.join(others)}" if others else "")
    finality = ("the node's finalized block" if spec.default_confirmations is None
                else f"{spec.default_confirmations}")
    chunks = ", ".join(f"{source.name} {source.chunk_size}" for source in spec.sources)
    return {
        "rpc": f"{rpc} (default: {envs} or a public endpoint).",
        "source": " or ".join(f"{source.name} ({source.help})" for source in spec.sources) + ".",
        "confirmations": f"Index up to head minus this (default: {finality}).",
        "chunk_size": f"Most blocks per request (default: {chunks}); eth_getLogs starts at one block and grows.",
    }


def _sync_command(spec: ChainSpec) -> Callable[..., None]:
    """The `tracker sync <chain>` command of one chain spec."""
    helps = _help_for(spec)
    Source = Enum(f"{spec.title}Source", {source.name: source.name for source in spec.sources}, type=str)  # type: ignore[misc]
    first = list(Source)[0]
    default = tokens.default_token(spec.name)
    default_token = default.address if default else ""

    def command(
        ctx: typer.Context,
        source: Source = typer.Option(first, help=helps["source"], hidden=len(spec.sources) == 1),  # type: ignore[valid-type]
        rpc: Optional[str] = typer.Option(None, help=helps["rpc"]),
        token: str = typer.Option(default_token, help=spec.token_help),
        from_block: Optional[int] = FROM_BLOCK,
        to_block: Optional[int] = TO_BLOCK,
        since: Optional[str] = SINCE,
        until: Optional[str] = UNTIL,
        confirmations: Optional[int] = typer.Option(None, help=helps["confirmations"]),
        chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help=helps["chunk_size"]),
        scope: Scope = SCOPE,
        quiet: bool = QUIET,
    ) -> None:
        chosen = spec.source(source.value)
        options = ingest_sync.SyncOptions(
            rpc_url=settings.source_url(spec, chosen.name, rpc),
            token=resolve_token(spec.name, token, spec.normalize_token),
            from_block=from_block,
            to_block=to_block,
            since=optional_day(since, "--since"),
            until=optional_day(until, "--until"),
            confirmations=spec.default_confirmations if confirmations is None else confirmations,
            chunk_size=chosen.chunk_size if chunk_size is None else chunk_size,
            source=chosen.name,
            scope=scope.value,
        )
        _run_sync(lambda bar: ingest.sync_from_source(ctx.obj["db"], spec, options, on_progress=bar), spec.name, quiet)

    command.__doc__ = spec.sync_help
    return command


for _spec in CHAINS.values():  # the bundled chains (the config file is read later, in the app's callback)
    sync_app.command(_spec.name)(_sync_command(_spec))


def _declared_command(name: str) -> "click.Command | None":
    """The `sync` command of a chain tracker.toml declares, built like a bundled chain's."""
    spec = CHAINS.get(name)
    if spec is None:
        return None
    single = typer.Typer()
    single.command(spec.name)(_sync_command(spec))
    return typer.main.get_command(single)


ChainCommands.build = staticmethod(_declared_command)
