"""`tracker market sync`: funding, daily and hourly open interest, long/short ratio and daily prices into DuckDB.

Re-running resumes from what is stored and upserts, so the tool accumulates its
own history of the series venues keep only 30 days of. Each venue's client and
payload decoders live in its own module (`binance`, `bybit`, `okx`), listed in `venues`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl

from tracker.days import day_after, day_start
from tracker.errors import TrackerError
from tracker.http import HttpClient
from tracker.market import rows
from tracker.market.paging import Series
from tracker.market.venues import VENUES
from tracker.store import Store, register_frame, transaction

DEFAULT_SYMBOLS = ("BTC", "ETH")
# Without stored data or --since, a first sync fetches this many days back.
FIRST_SYNC_DAYS = 90


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class MarketSummary:
    rows: dict[str, int] = field(default_factory=dict)  # "binance BTC funding" -> rows upserted


_TABLES = {
    rows.FundingRow: ("funding_rates", ("exchange", "symbol", "funding_time")),
    rows.OpenInterestRow: ("open_interest", ("exchange", "symbol", "period", "ts")),
    rows.RatioRow: ("long_short_ratio", ("exchange", "symbol", "period", "ts")),
    rows.PriceRow: ("prices", ("exchange", "symbol", "day")),
    rows.LiquidationRow: ("liquidations", ("venue", "instrument", "ts", "side", "price", "qty")),
}


def upsert_rows(con: Any, table: str, key: tuple[str, ...], found: list[Any]) -> int:
    """INSERT OR REPLACE rows (dataclasses) into `table` inside the caller's transaction; a key answered twice
    (overlapping pages) keeps its last answer. Returns the rows written."""
    if not found:
        return 0
    unique = list({tuple(getattr(row, name) for name in key): row for row in found}.values())
    frame = pl.DataFrame([asdict(row) for row in unique], infer_schema_length=None)
    register_frame(con, "incoming_market", frame)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM incoming_market")
    finally:
        con.unregister("incoming_market")
    return len(unique)


def upsert(store: Store, found: list[Any]) -> int:
    """Rows of one kind in one transaction (re-running changes nothing)."""
    if not found:
        return 0
    with transaction(store.connection) as con:
        return upsert_rows(con, *_TABLES[type(found[0])], found)


@dataclass(frozen=True)
class Window:
    """The time range a sync covers: --since/--until, or from what is stored up to now."""

    since: date | None
    until: date | None
    now: datetime

    @property
    def end_ms(self) -> int:
        end = min(day_after(self.until), self.now) if self.until else self.now
        return _ms(end) - 1

    def start_ms(self, store: Store, venue: str, symbol: str, series: Series) -> int:
        start = day_start(self.since) if self.since else self.now - timedelta(days=FIRST_SYNC_DAYS)
        if not self.since:
            by_period = " AND period = ?" if series.period else ""
            stored = store.connection.execute(
                f"SELECT max({series.column}) FROM {series.table} WHERE exchange = ? AND symbol = ?{by_period}",
                [venue, symbol, *([series.period] if series.period else [])],
            ).fetchall()[0][0]
            if isinstance(stored, date) and not isinstance(stored, datetime):
                stored = day_start(stored)
            if stored is not None:
                start = stored if series.reread_last else stored + timedelta(milliseconds=1)
        if series.history_days:  # asking for more than the venue keeps gets an error or nothing
            start = max(start, self.now - timedelta(days=series.history_days) + timedelta(minutes=5))
        return _ms(start)


def sync_market(db_path: Path, venues: list[str], symbols: list[str], since: date | None, until: date | None,
                http: HttpClient | None = None) -> MarketSummary:
    unknown = [venue for venue in venues if venue not in VENUES]
    if unknown:
        raise TrackerError(f"unknown venue {unknown[0]!r} (expected {', '.join(VENUES)})")
    bad = [s for s in symbols if not s.isalnum() or not s.isupper()]
    if bad:
        raise TrackerError(f"invalid --symbol {bad[0]!r}: expected a base asset such as BTC or ETH")
    if since and until and since > until:
        raise TrackerError(f"--since {since} is after --until {until}")
    shared = http or HttpClient()
    window = Window(since, until, datetime.now(timezone.utc))
    summary = MarketSummary()
    for venue in venues:
        client = VENUES[venue](shared)
        for symbol in symbols:
            for series in client.series(symbol):
                # The file is open only to read where to resume and to write: never while waiting on a venue.
                with Store.open(db_path) as store:
                    start_ms, end_ms = window.start_ms(store, venue, symbol, series), window.end_ms
                decoded = series.decode(series.fetch(start_ms, end_ms) if start_ms <= end_ms else [])
                with Store.open(db_path) as store:
                    summary.rows[f"{venue} {symbol} {series.kind}"] = upsert(store, decoded)
    return summary


METRICS_COLUMNS = ("create_time", "symbol", "sum_open_interest", "sum_open_interest_value", "count_long_short_ratio")


def import_binance_metrics(db_path: Path, path: str) -> tuple[int, int]:
    """Load a Binance public daily `metrics` CSV (5-minute OI and long/short rows): all rows or none.

    Returns (open-interest rows, long/short rows) upserted.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise TrackerError(f"cannot read {path}: {error.strerror or error}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [column for column in METRICS_COLUMNS if column not in header]
    if missing:
        raise TrackerError(f"{path}: not a Binance metrics file: missing column(s) {', '.join(missing)}")
    interest, ratios, errors = [], [], []
    for row in reader:
        try:
            pair = (row["symbol"] or "").strip().upper()
            if not pair.endswith("USDT") or not pair[:-4].isalnum():
                raise ValueError(f"symbol {row['symbol']!r} is not a USDT perpetual")
            try:
                stamp = datetime.fromisoformat(row["create_time"].strip()).replace(tzinfo=timezone.utc)
            except ValueError:
                raise ValueError(f"create_time {row['create_time']!r} is not a timestamp") from None
            symbol = pair[:-4]
            interest.append(rows.OpenInterestRow(
                "binance", symbol, stamp, "5m",
                rows.exact(row["sum_open_interest"], rows.VALUE_SCALE, "sum_open_interest"),
                rows.exact(row["sum_open_interest_value"], rows.VALUE_SCALE, "sum_open_interest_value"),
            ))
            if (row.get("count_long_short_ratio") or "").strip():
                ratios.append(rows.RatioRow(
                    "binance", symbol, stamp, "5m",
                    rows.exact(row["count_long_short_ratio"], rows.RATE_SCALE, "count_long_short_ratio"), None, None,
                ))
        except (ValueError, TrackerError) as error:
            errors.append(f"line {reader.line_num}: {error}")
    if errors:
        more = f"; …and {len(errors) - 8} more" if len(errors) > 8 else ""
        raise TrackerError(f"{path}: {len(errors)} bad row(s), nothing imported: {'; '.join(errors[:8])}{more}")
    if not interest:
        raise TrackerError(f"{path}: no rows")
    with Store.open(db_path) as store:
        return upsert(store, interest), upsert(store, ratios)
