"""The `tracker` command line: thin wrappers that parse, call one core function, print."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Optional

import duckdb
import typer
import typer.main

try:  # typer ≥ 0.20 carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer on PyPI click
    from click import exceptions as click_exceptions  # type: ignore[no-redef]
from tracker import queries, settings
from tracker.errors import TrackerError


class _Lazy:
    """A tracker module imported on first use: `tracker report` need not load web3, polars and friends."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str):  # noqa: ANN204
        return getattr(importlib.import_module(f"tracker.{self._name}"), attribute)


anchors, discovery, labels, signals = (_Lazy(f"analytics.{n}") for n in ("reserves", "discovery", "labels", "signals"))
sync, trongrid = _Lazy("ingest.sync"), _Lazy("ingest.tron.trongrid")
market, report = _Lazy("market.sync"), _Lazy("report.daily")
job, output, chains, http = (_Lazy(n) for n in ("job", "output", "chains", "http"))
reading = _Lazy("analytics.reading")


from tracker.days import parse_day  # noqa: E402 (light: the report path must not load the RPC stack)
from tracker.tokens import DEFAULT_TOKENS  # noqa: E402 (light: names and addresses only)


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

def _say(line: str) -> None:
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

    def __call__(self, update: "sync.Progress") -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=update.blocks_total, logs=0, rate=0.0)
        elapsed = self.progress.tasks[0].elapsed or 0.0
        rate = update.logs / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=update.blocks_done, logs=update.logs, rate=rate)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _summary_lines(summary: "sync.SyncSummary") -> list[str]:
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


def _run_sync(run: Callable[[Optional[_ProgressBar]], "sync.SyncSummary"], label: str, quiet: bool) -> None:
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
    scope: str = "all",
) -> "sync.SyncOptions":
    return sync.SyncOptions(
        rpc_url=url,
        token=token,
        from_block=from_block,
        to_block=to_block,
        since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None,
        confirmations=confirmations,
        chunk_size=chunk_size,
        source=source,
        scope=scope,
    )


@sync_app.command("ethereum")
def sync_ethereum(
    ctx: typer.Context,
    rpc: Optional[str] = typer.Option(None, help="JSON-RPC URL (default: $TRACKER_ETH_RPC or a public node)."),
    token: str = typer.Option(DEFAULT_TOKENS["ethereum"].address, help="Token contract address."),
    from_block: Optional[int] = FROM_BLOCK,
    to_block: Optional[int] = TO_BLOCK,
    since: Optional[str] = SINCE,
    until: Optional[str] = UNTIL,
    confirmations: int = typer.Option(12, help="Blocks newer than head minus this are not indexed."),
    chunk_size: int = typer.Option(2000, "--chunk-size", help="Blocks per eth_getLogs to start with."),
    scope: Scope = SCOPE,
    quiet: bool = QUIET,
) -> None:
    """Index USDT Transfer/Issue/Redeem/DestroyedBlackFunds events from an Ethereum node."""
    options = _sync_options(
        settings.eth_rpc_url(rpc), chains.ETHEREUM.normalize_token(token, "--token"),
        from_block, to_block, since, until, confirmations, chunk_size, scope=scope.value,
    )
    _run_sync(lambda bar: sync.sync_chain(ctx.obj["db"], chains.ETHEREUM, options, on_progress=bar), "ethereum", quiet)


@sync_app.command("tron")
def sync_tron(
    ctx: typer.Context,
    source: TronSource = typer.Option(TronSource.jsonrpc, help="jsonrpc (eth_getLogs) or trongrid (REST events)."),
    rpc: Optional[str] = typer.Option(
        None, help="JSON-RPC URL, or TronGrid base URL with --source trongrid "
        "(default: $TRACKER_TRON_RPC / $TRACKER_TRONGRID_URL or api.trongrid.io)."
    ),
    token: str = typer.Option(DEFAULT_TOKENS["tron"].address, help="Token contract: base58 T…, 41… or 0x… hex."),
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
    scope: Scope = SCOPE,
    quiet: bool = QUIET,
) -> None:
    """Index USDT-TRC20 events from Tron (addresses stored in base58)."""
    if chunk_size is None:
        chunk_size = 100 if source is TronSource.jsonrpc else 1200
    options = _sync_options(
        settings.tron_rpc_url(rpc) if source is TronSource.jsonrpc else settings.trongrid_url(rpc),
        chains.TRON.normalize_token(token, "--token"),
        from_block, to_block, since, until, confirmations, chunk_size, source.value, scope.value,
    )
    if source is TronSource.jsonrpc:
        client = http.HttpClient(headers=settings.trongrid_headers())
        run = lambda bar: sync.sync_chain(ctx.obj["db"], chains.TRON, options, on_progress=bar, http=client)  # noqa: E731
    else:
        anchor_rpc = settings.tron_rpc_url(None)  # TronGrid's /jsonrpc unless TRACKER_TRON_RPC says otherwise
        run = lambda bar: trongrid.sync_trongrid(ctx.obj["db"], options, on_progress=bar, anchor_rpc=anchor_rpc)  # noqa: E731
    _run_sync(run, "tron", quiet)


@labels_app.command("import")
def labels_import(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="CSV with chain,address,entity[,category,wallet_type,source,valid_from,valid_to]."),
    format: LabelFormat = typer.Option(LabelFormat.csv, "--format", help="csv (ours) or dune (spellbook cex lists)."),
) -> None:
    """Import labels: all rows or none; re-importing the same file changes nothing."""
    report = labels.import_labels(ctx.obj["db"], file, format.value)
    print(f"{file}: {report.rows:,} labels: {report.added:,} added, {report.replaced:,} replaced, "
          f"{report.unchanged:,} unchanged")
    _say_reanchor(ctx)


def _say_reanchor(ctx: typer.Context) -> None:
    for chain, count in anchors.unanchored_wallets(ctx.obj["db"]).items():
        print(f"{chain}: {count:,} labeled wallets have no balance anchor yet; the next `tracker sync {chain}` "
              f"reads their balanceOf (their exchanges' reserve_end is empty until then)")


@labels_app.command("update")
def labels_update(ctx: typer.Context) -> None:
    """Re-download the public label lists in $TRACKER_LABEL_SOURCES (default: Dune spellbook's cex lists)."""
    for update in labels.update_labels(ctx.obj["db"]):
        imported = update.imported
        print(f"{update.source}: {update.parsed:,} rows; {imported.added:,} added, {imported.replaced:,} replaced, "
              f"{imported.unchanged:,} unchanged; {len(update.invalid):,} invalid and "
              f"{len(imported.skipped):,} conflicting rows left out")
        for reason in (update.invalid + imported.skipped)[:10]:
            print(f"  left out: {reason}")


@labels_app.command("list")
def labels_list(
    ctx: typer.Context,
    chain: Optional[str] = typer.Option(None, help="ethereum or tron."),
    entity: Optional[str] = typer.Option(None, help="Entity name, e.g. Binance (case-insensitive)."),
    discovered: bool = typer.Option(False, "--discovered", help="Discovered deposit addresses, with evidence."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """List labels (the bundled set is loaded on first use)."""
    print(output.render(labels.list_labels(ctx.obj["db"], chain, entity, discovered), format.value), end="")


@labels_app.command("discover")
def labels_discover(
    ctx: typer.Context,
    chain: Optional[str] = typer.Option(None, help="ethereum or tron (default: both)."),
    since: Optional[str] = typer.Option(None, help="Only transfers from this UTC day on (YYYY-MM-DD)."),
    min_sweeps: int = typer.Option(1, "--min-sweeps", help="Sweeps to the exchange an address needs."),
) -> None:
    """Find unlabeled deposit addresses that sweep to one exchange (needs --scope all)."""
    found = discovery.discover_deposits(ctx.obj["db"], chain, parse_day(since, "--since") if since else None, min_sweeps)
    for name, count in found.items():
        print(f"{name}: {count:,} deposit addresses discovered (counted in flows only with --with-discovered)")
    _say_reanchor(ctx)


@app.command("query", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def query(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A bundled query name (the files in queries/, shipped in the package), a .sql file, inline SQL, or - for stdin."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
    with_discovered: bool = typer.Option(False, "--with-discovered", help="Count discovered deposit addresses."),
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
            format: ExportFormat, out: str, with_discovered: bool = False) -> None:
    if chain is not None and chain not in chains.CHAINS:
        raise TrackerError(f"unknown chain {chain!r} (expected {', '.join(chains.CHAINS)})")
    since_day, until_day = (parse_day(since, "--since") if since else None), (parse_day(until, "--until") if until else None)
    if since_day and until_day and since_day > until_day:
        raise TrackerError(f"--since {since_day} is after --until {until_day}")
    result = reading.daily_series(ctx.obj["db"], name, chain, since_day, until_day, with_discovered,
                                  arrow=format == ExportFormat.parquet)
    text = output.write_output(result, format.value, out)
    if text is not None:
        sys.stdout.write(text)


CHAIN_FILTER = typer.Option(None, help="ethereum or tron (default: both).")
EXPORT_FORMAT = typer.Option(ExportFormat.csv, "--format")
OUT = typer.Option("-", "--out", help="File to write, or - for standard output.")
WITH_DISCOVERED = typer.Option(False, "--with-discovered", help="Count discovered deposit addresses.")


@export_app.command("daily_flows")
def export_daily_flows(
    ctx: typer.Context, chain: Optional[str] = CHAIN_FILTER, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    format: ExportFormat = EXPORT_FORMAT, out: str = OUT, with_discovered: bool = WITH_DISCOVERED,
) -> None:
    """Daily exchange flows: chain, day, entity, inflow, outflow, netflow, cross_in, cross_out, transfers, reserve_end."""
    _export(ctx, "exchange_netflow_daily", chain, since, until, format, out, with_discovered)


@export_app.command("daily_supply")
def export_daily_supply(
    ctx: typer.Context, chain: Optional[str] = CHAIN_FILTER, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    format: ExportFormat = EXPORT_FORMAT, out: str = OUT,
) -> None:
    """Daily supply: chain, day, minted, redeemed, destroyed, net_issuance, total_supply_end."""
    _export(ctx, "supply_daily", chain, since, until, format, out)


@app.command("verify")
def verify(
    ctx: typer.Context,
    chain: str = typer.Argument(..., help="ethereum or tron."),
    rpc: Optional[str] = typer.Option(None, help="JSON-RPC URL (default: $TRACKER_ETH_RPC / $TRACKER_TRON_RPC)."),
    token: Optional[str] = typer.Option(None, help="Token contract (default: USDT on that chain)."),
    block: Optional[int] = typer.Option(None, help="Block to check (default: the last synced block)."),
) -> None:
    """Compare balanceOf of every labeled exchange wallet and totalSupply() with what the index derives."""
    if chain not in chains.CHAINS:
        raise TrackerError(f"unknown chain {chain!r} (expected {', '.join(chains.CHAINS)})")
    spec = chains.CHAINS[chain]
    url = settings.eth_rpc_url(rpc) if chain == "ethereum" else settings.tron_rpc_url(rpc)
    default_token = DEFAULT_TOKENS[chain].address
    at, checks = anchors.verify(ctx.obj["db"], spec, url, spec.normalize_token(token or default_token, "--token"), block)
    print(output.render(anchors.checks_result(checks), "table"), end="")
    wrong = [c for c in checks if c.difference != 0]
    if wrong:
        raise TrackerError(f"{len(wrong)} of {len(checks)} figures differ from the node at block {at:,}")
    print(f"all {len(checks)} figures match the node at block {at:,}")


@market_app.command("sync")
def market_sync(
    ctx: typer.Context,
    exchange: str = typer.Option(settings.BY_KEY["market.exchanges"].default, help="Comma-separated: binance, bybit, okx."),
    symbol: str = typer.Option(settings.BY_KEY["market.symbols"].default, help="Comma-separated base assets (USDT perpetuals)."),
    since: Optional[str] = typer.Option(None, help="First UTC day (default: resume, or 90 days back)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day, inclusive (default: now)."),
) -> None:
    """Fetch and store funding rates, open interest, long/short ratio and daily prices (re-run daily)."""
    summary = market.sync_market(
        ctx.obj["db"], [e.strip().lower() for e in exchange.split(",") if e.strip()],
        [s.strip().upper() for s in symbol.split(",") if s.strip()],
        parse_day(since, "--since") if since else None, parse_day(until, "--until") if until else None,
    )
    for what, count in summary.rows.items():
        print(f"{what}: {count:,} rows")


@market_app.command("import")
def market_import(ctx: typer.Context, file: str = typer.Argument(..., help="A Binance daily metrics CSV.")) -> None:
    """Backfill open interest and long/short ratio from Binance's public daily metrics files."""
    interest, ratios = market.import_binance_metrics(ctx.obj["db"], file)
    print(f"{file}: {interest:,} open-interest rows, {ratios:,} long/short rows")


class ReportFormat(str, Enum):
    table = "table"
    md = "md"
    json = "json"
    csv = "csv"


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
    result = signals.compute_signals(ctx.obj["db"], parse_day(since, "--since") if since else None,
                                     parse_day(until, "--until") if until else None)
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
        _say(f"warning: {note}")


def _report_day(day: Optional[str]) -> date:
    return parse_day(day, "--date") if day else datetime.now(timezone.utc).date() - timedelta(days=1)


def _print_report(ctx: typer.Context, built: "report.Report", format: ReportFormat, chart: Optional[str]) -> None:
    print(report.render_report(built, format.value), end="")
    if chart:
        from tracker.report.chart import draw_chart

        days = draw_chart(ctx.obj["db"], built.day, chart)
        _say(f"chart: {days} days written to {chart}")


DATE = typer.Option(None, "--date", help="UTC day, YYYY-MM-DD (default: yesterday).")
REPORT_FORMAT = typer.Option(ReportFormat.table, "--format")
CHART = typer.Option(None, "--chart", help="Also draw the last 90 days as a PNG (needs matplotlib).")


@app.command("report")
def report_command(ctx: typer.Context, day: Optional[str] = DATE, format: ReportFormat = REPORT_FORMAT,
                   chart: Optional[str] = CHART) -> None:
    """The daily report: supply, exchange flows, reserves, market, regime (read-only)."""
    _print_report(ctx, report.build_report(ctx.obj["db"], _report_day(day)), format, chart)


@app.command("run")
def run_command(ctx: typer.Context, day: Optional[str] = DATE, format: ReportFormat = REPORT_FORMAT,
                chart: Optional[str] = CHART) -> None:
    """The day's job: sync Ethereum and Tron to head, sync market data, compute signals, print the report."""
    built = job.run_day(ctx.obj["db"], parse_day(day, "--date") if day else None, _say)
    _print_report(ctx, built, format, chart)


@config_app.command("show")
def config_show(format: OutputFormat = typer.Option(OutputFormat.table, "--format")) -> None:
    """Every setting's effective value (secrets masked), where it comes from, and its environment variable."""
    if format is OutputFormat.table:  # as tracker.toml text: copy what you want to change
        print(settings.as_toml(), end="")
        return
    print(output.render(report.table(["key", "value", "source", "env"], settings.effective()), format.value), end="")


def main() -> None:
    command = typer.main.get_command(app)
    try:
        command.main(prog_name="tracker", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        sys.exit(0)  # the help text was printed
    except click_exceptions.UsageError as error:
        where = f"{error.ctx.command_path}: " if error.ctx else ""
        print(f"error: {where}{error.format_message()}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except TrackerError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except duckdb.Error as error:
        print(f"error: database: {str(error).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: everything up to the last committed step is kept; re-run to resume", file=sys.stderr)
        sys.exit(130)
