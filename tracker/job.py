"""`tracker run`: the day's whole job — sync every chain in run.chains (and every chain tracker.toml declares) to
head, sync market data (and rebuild the estimated liquidation levels), option snapshots (unless run.options = 0), signals, report.

Every step is one of the commands a user can run alone, with its settings from
`tracker.toml` / the environment; a failing step stops the job with its own
one-line error (an unreachable endpoint is named), leaving earlier steps' data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tracker import chains, settings, tokens
from tracker.analytics.signals import compute_signals
from tracker.chains import ChainSpec, chain_spec
from tracker.errors import TrackerError
from tracker.ingest.sources import sync_from_source
from tracker.ingest.sync import SyncOptions, SyncSummary
from tracker.market.levels import build_levels
from tracker.market.options.instruments import UNDERLYINGS
from tracker.market.options.sync import sync_options
from tracker.market.sync import FIRST_SYNC_DAYS, sync_market
from tracker.report.daily import Report, build_report
from tracker.store import Store
from tracker.tokens import resolve_token

SCOPES = ("all", "labeled")


def _choice(key: str, allowed: tuple[str, ...]) -> str:
    value = str(settings.get(key))
    if value not in allowed:
        raise TrackerError(f"{key} = {value!r}: expected one of {', '.join(allowed)}")
    return value


def _first_since(db_path: Path, chain: str, token: str, day: date) -> date | None:
    """An empty chain starts run.first_sync_days before the report day, not at the token's deployment."""
    if db_path.exists():
        with Store.open(db_path) as store:
            if store.sync_state(chain, token) is not None:
                return None
    return day - timedelta(days=max(int(settings.get("run.first_sync_days")) - 1, 0))


def _chain_token(spec: ChainSpec) -> str:
    """`<chain>.token` as stored: the token a chain's sync takes when none is named."""
    return resolve_token(spec.name, str(settings.get(f"{spec.name}.token")), spec.normalize_token, f"{spec.name}.token")


def run_tokens(spec: ChainSpec) -> list[str]:
    """The tokens `tracker run` syncs on a chain (stored addresses): `<chain>.token` first, then every token
    tracker.toml declares there, then the run.tokens symbols the chain knows (a symbol it does not know is skipped:
    run.tokens = USDC covers Ethereum without failing Tron)."""
    found = [_chain_token(spec)]
    found += [declared.address for declared in tokens.declared() if declared.chain == spec.name]
    known = {(known.symbol or "").upper(): known.address for known in tokens.known_tokens(spec.name)}
    found += [known[symbol.upper()] for symbol in settings.csv_list("run.tokens") if symbol.upper() in known]
    return list(dict.fromkeys(found))


def run_options(db_path: Path, spec: ChainSpec, day: date, token: str | None = None) -> SyncOptions:
    """What `tracker run` syncs on a chain, from its settings (`<chain>.token`, `.source`, `.scope`, …): `token`,
    else `<chain>.token`."""
    token = token or _chain_token(spec)
    sources = tuple(source.name for source in spec.sources)
    source = spec.source(_choice(f"{spec.name}.source", sources) if len(sources) > 1 else sources[0])
    confirmations = int(settings.get(f"{spec.name}.confirmations"))
    return SyncOptions(
        rpc_url=settings.source_url(spec, source.name), token=token, since=_first_since(db_path, spec.name, token, day),
        confirmations=None if confirmations < 0 else confirmations, chunk_size=source.chunk_size,
        source=source.name, scope=_choice(f"{spec.name}.scope", SCOPES),
    )


def sync_chains(db_path: Path, day: date) -> list[SyncSummary]:
    """Every token of every chain in run.chains, then of every chain tracker.toml declares (declaring one is
    asking for it), one after the other (each a `tracker sync` of its own)."""
    names = settings.csv_list("run.chains")
    names += [spec.name for spec in chains.declared() if spec.name not in names]
    specs = [chain_spec(name, "run.chains") for name in names]
    planned = [(spec, token) for spec in specs for token in run_tokens(spec)]
    return [sync_from_source(db_path, spec, run_options(db_path, spec, day, token)) for spec, token in planned]


def _sync_label(summary: SyncSummary) -> str:
    """A chain's `<chain>.token` is named by the chain alone (as before other tokens were synced), others by symbol."""
    spec = chain_spec(summary.chain)
    if summary.token == _chain_token(spec):
        return summary.chain
    return f"{summary.chain} {tokens.token_spec(summary.chain, summary.token).symbol or summary.token}"


def _market_since(db_path: Path, day: date) -> date | None:
    """Resume when market data is stored; else start early enough for the 90-day OI high before `day`."""
    with Store.open(db_path) as store:
        stored = store.connection.execute("SELECT count(*) FROM prices").fetchall()[0][0]
    return None if stored else day - timedelta(days=FIRST_SYNC_DAYS)


def run_day(db_path: Path, day: date | None, say: Callable[[str], None]) -> Report:
    """Sync, compute, and build the report for `day` (default: yesterday, UTC)."""
    day = day or datetime.now(timezone.utc).date() - timedelta(days=1)
    for summary in sync_chains(db_path, day):
        name = _sync_label(summary)
        say(f"{name}: synced to block {summary.to_block:,} ({summary.transfers:,} transfers, "
            f"{summary.supply_events:,} supply events)" if not summary.up_to_date
            else f"{name}: already up to date")
    market = sync_market(db_path, [e.lower() for e in settings.csv_list("market.venues")],
                         [s.upper() for s in settings.csv_list("market.symbols")], _market_since(db_path, day), None)
    say(f"market: {sum(market.rows.values()):,} rows from {', '.join(settings.csv_list('market.venues'))}")
    if int(settings.get("run.options")):
        # A venue's missing snapshot is named and the job goes on: signals and the report say what is missing.
        options = sync_options(db_path, [v.lower() for v in settings.csv_list("options.venues")],
                               [s.upper() for s in settings.csv_list("options.underlyings") if s.upper() in UNDERLYINGS])
        for line in options.lines + [f"{failure} (snapshot missing)" for failure in options.failures]:
            say(f"options: {line}")
    # The estimated liquidation levels of the last week's hours (the model walks all stored hours either way).
    for level in build_levels(db_path, None, day - timedelta(days=6), None):
        say(f"levels (estimate): {level.symbol} {level.snapshots:,} hourly snapshots")
    signals = compute_signals(db_path)
    say(f"signals: {len(signals.rows):,} scope-days computed")
    return build_report(db_path, day)
