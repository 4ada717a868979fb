"""`tracker labels import|update|list|discover|coverage`."""

from __future__ import annotations

from typing import Optional

import typer

from tracker.errors import TrackerError
from tracker.cli.common import (
    CHAIN_FILTER,
    WITH_DISCOVERED,
    LabelFormat,
    OutputFormat,
    anchors,
    coverage,
    discovery,
    labels,
    labels_app,
    optional_day,
    output,
)


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
    chain: Optional[str] = typer.Option(None, help="A chain: ethereum, tron, arbitrum, bsc or one tracker.toml declares."),
    entity: Optional[str] = typer.Option(None, help="Entity name, e.g. Binance (case-insensitive)."),
    discovered: bool = typer.Option(False, "--discovered", help="Discovered deposit addresses and hot wallets, with evidence."),
    conflicts: bool = typer.Option(False, "--conflicts", help="Claims left unsettled (curated vs discovered, two exchanges)."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """List labels with their method (the bundled set is loaded on first use)."""
    if discovered and conflicts:
        raise TrackerError("--discovered and --conflicts list different things: pass one")
    print(output.render(labels.list_labels(ctx.obj["db"], chain, entity, discovered, conflicts), format.value), end="")


@labels_app.command("discover")
def labels_discover(
    ctx: typer.Context,
    chain: Optional[str] = typer.Option(None, help="A chain: ethereum, tron, arbitrum, bsc or one tracker.toml declares (default: all)."),
    since: Optional[str] = typer.Option(None, help="Only transfers from this UTC day on (YYYY-MM-DD)."),
    min_sweeps: int = typer.Option(1, "--min-sweeps", help="Sweeps to the exchange an address needs."),
    min_deposits: int = typer.Option(3, "--min-deposits", help="Distinct deposit addresses sweeping to a hot wallet."),
    min_payees: int = typer.Option(3, "--min-payees", help="Distinct addresses a hot wallet must have paid."),
) -> None:
    """Cluster: deposit addresses and hot wallets of labeled exchanges, iterated (needs --scope all)."""
    found = discovery.discover_wallets(ctx.obj["db"], chain, optional_day(since, "--since"), min_sweeps,
                                       min_deposits, min_payees)
    for run in found:
        print(f"{run.chain}: {run.deposits:,} deposit addresses and {run.hot_wallets:,} hot wallets discovered in "
              f"{run.rounds} rounds (counted in flows only with --with-discovered)")
        if run.conflicts:
            print(f"{run.chain}: {run.conflicts:,} addresses claimed by two exchanges left unlabeled "
                  f"(tracker labels list --conflicts)")
    _say_reanchor(ctx)


@labels_app.command("coverage")
def labels_coverage(
    ctx: typer.Context,
    chain: Optional[str] = CHAIN_FILTER,
    since: Optional[str] = typer.Option(None, help="First UTC day, YYYY-MM-DD (default: the first indexed)."),
    until: Optional[str] = typer.Option(None, help="Last UTC day, YYYY-MM-DD, inclusive (default: the last indexed)."),
    counterparties: bool = typer.Option(False, "--counterparties", help="Only the top unlabeled counterparties."),
    limit: int = typer.Option(20, "--limit", help="How many unlabeled counterparties to list."),
    with_discovered: bool = WITH_DISCOVERED,
    format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """Per day and entity, the share of volume that touched a labeled wallet; then who to label next."""
    db, since_day, until_day = ctx.obj["db"], optional_day(since, "--since"), optional_day(until, "--until")
    if counterparties:
        top = coverage.unlabeled_counterparties(db, chain, since_day, until_day, limit, with_discovered)
        print(output.render(top, format.value), end="")
        return
    shown = coverage.label_coverage(db, chain, since_day, until_day, with_discovered)
    print(output.render(shown, format.value), end="")
    if format == OutputFormat.table:  # csv and json hold one table: the addresses come with --counterparties
        top = coverage.unlabeled_counterparties(db, chain, since_day, until_day, limit, with_discovered)
        print(f"\nTop {limit} unlabeled counterparties (by volume moved with labeled wallets):")
        print(output.render(top, "table"), end="")
