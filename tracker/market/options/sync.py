"""`tracker market sync --options`: option-chain snapshots of Deribit, OKX and Bybit, Deribit's daily DVOL and
OKX's option statistics, into DuckDB.

The venues serve their chains live only, so every run stores a new snapshot: every instrument's row stamped
with the tool's clock when it was taken (one time per venue and underlying), upserted by (venue, instrument,
snapshot_ts), so history accumulates and a re-run never doubles an old snapshot. Each snapshot is written in
one transaction after all of it was fetched: a venue failing leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError
from tracker.http import HttpClient
from tracker.market.bybit import BybitClient
from tracker.market.okx import OkxClient
from tracker.market.sync import upsert_rows
from tracker.market.options.bybit import BybitOptions
from tracker.market.options.deribit import DVOL_RESOLUTION, DeribitClient
from tracker.market.options.instruments import UNDERLYINGS
from tracker.market.options.okx import OkxOptions
from tracker.market.options.rows import TABLES
from tracker.store import Store, transaction

OPTION_VENUES = ("deribit", "okx", "bybit")
# A first DVOL sync reaches this far back; later ones resume from the last stored candle (re-read: it may
# have been taken before its day closed).
DVOL_FIRST_DAYS = 365


@dataclass
class OptionsSummary:
    lines: list[str] = field(default_factory=list)  # one per venue, underlying and series stored
    failures: list[str] = field(default_factory=list)  # one line per venue and underlying that failed

    def raise_failures(self) -> None:
        """One error line naming every venue and underlying that failed (what the others stored is kept)."""
        if self.failures:
            raise TrackerError("; ".join(self.failures))


def write(db_path: Path, groups: list[list[Any]]) -> list[int]:
    """Several kinds of rows in one transaction: all of them or none."""
    with Store.open(db_path) as store:
        with transaction(store.connection) as con:
            return [upsert_rows(con, *TABLES[type(group[0])], group) if group else 0 for group in groups]


def _dvol_start(db_path: Path, underlying: str, now: datetime) -> datetime:
    with Store.open(db_path) as store:
        stored = store.connection.execute(
            "SELECT max(ts) FROM volatility_index WHERE venue = 'deribit' AND underlying = ? AND resolution = ?",
            [underlying, DVOL_RESOLUTION]).fetchall()[0][0]
    return stored if stored is not None else now - timedelta(days=DVOL_FIRST_DAYS)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def check(venues: list[str], underlyings: list[str]) -> None:
    unknown = [venue for venue in venues if venue not in OPTION_VENUES]
    if unknown:
        raise TrackerError(f"unknown options venue {unknown[0]!r} (expected {', '.join(OPTION_VENUES)})")
    bad = [name for name in underlyings if name not in UNDERLYINGS]
    if bad:
        raise TrackerError(f"no options for {bad[0]!r}: expected {' or '.join(UNDERLYINGS)}")
    if not venues or not underlyings:
        raise TrackerError("options: no venue or no underlying chosen")


def sync_options(db_path: Path, venues: list[str], underlyings: list[str], http: HttpClient | None = None,
                 clock: Callable[[], datetime] | None = None) -> OptionsSummary:
    """Snapshot each venue's chain of each underlying (plus DVOL on Deribit, the option statistics on OKX).
    A failing venue and underlying is named in `failures`; the others are still taken."""
    check(venues, underlyings)
    shared = http or HttpClient()
    now = clock or (lambda: datetime.now(timezone.utc))
    clients = {"deribit": DeribitClient(shared), "okx": OkxOptions(OkxClient(shared)),
               "bybit": BybitOptions(BybitClient(shared))}
    summary = OptionsSummary()
    for venue in venues:
        client = clients[venue]
        for underlying in underlyings:
            try:
                taken = now()
                (count,) = write(db_path, [client.snapshot(underlying, taken)])
                summary.lines.append(f"{venue} {underlying} options: {count:,} instruments at {_stamp(taken)}")
                if isinstance(client, DeribitClient):
                    start = _dvol_start(db_path, underlying, taken)
                    candles = client.dvol(underlying, _ms(start), _ms(taken))
                    (stored,) = write(db_path, [candles])
                    summary.lines.append(f"{venue} {underlying} dvol: {stored:,} daily candles")
                if isinstance(client, OkxOptions):
                    ratios, expiries, strikes = client.history(underlying)
                    counts = write(db_path, [ratios, expiries, strikes])
                    summary.lines.append(f"{venue} {underlying} option statistics: {counts[0]:,} put/call ratios, "
                                         f"{counts[1]:,} expiries, {counts[2]:,} strikes")
            except TrackerError as error:
                summary.failures.append(f"{venue} {underlying} options: {error}")
    return summary

