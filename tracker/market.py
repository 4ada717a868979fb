"""`tracker market sync`: funding, open interest, long/short ratio and daily prices into DuckDB.

Fetching only; payloads are decoded in `market_decode`. Re-running resumes from
what is stored and upserts, so the tool accumulates its own history of series
the exchanges keep only 30 days of. Binance is implemented; Bybit and OKX follow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl

from . import market_decode as decode
from .errors import TrackerError
from .http import HttpClient
from .node import day_after, day_start
from .rpc import parse_json
from .store import Store

EXCHANGES = ("binance", "bybit", "okx")
IMPLEMENTED = ("binance",)
DEFAULT_SYMBOLS = ("BTC", "ETH")
# Binance keeps open interest and long/short history for the last 30 days only.
BINANCE_HISTORY_DAYS = 30
# Without stored data or --since, a first sync fetches this many days back.
FIRST_SYNC_DAYS = 90
DAY_MS = 86_400_000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class BinanceClient:
    """USDⓈ-M futures public endpoints (base URL from TRACKER_BINANCE_URL)."""

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = (base_url or os.environ.get("TRACKER_BINANCE_URL") or "https://fapi.binance.com").rstrip("/")

    def get(self, path: str, params: dict[str, Any]) -> Any:
        return self.http.request("GET", f"{self.base_url}{path}", lambda raw: parse_json(raw, "Binance"), params=params)

    def pages(self, path: str, params: dict[str, Any], start_ms: int, end_ms: int, limit: int,
              time_of: Callable[[Any], int]) -> list[Any]:
        """Ascending pages from start_ms to end_ms, each starting after the last item of the one before."""
        items: list[Any] = []
        cursor = start_ms
        while cursor <= end_ms:
            page = self.get(path, {**params, "startTime": cursor, "endTime": end_ms, "limit": limit})
            decode.binance_error(page)
            items.extend(page)
            if len(page) < limit:
                break
            cursor = time_of(page[-1]) + 1
        return items


@dataclass
class MarketSummary:
    rows: dict[str, int] = field(default_factory=dict)  # "binance BTC funding" -> rows upserted


_TABLES = {
    decode.FundingRow: "funding_rates",
    decode.OpenInterestRow: "open_interest",
    decode.RatioRow: "long_short_ratio",
    decode.PriceRow: "prices",
}


def upsert(store: Store, rows: list[Any]) -> int:
    """INSERT OR REPLACE rows of one kind in one transaction (re-running changes nothing)."""
    if not rows:
        return 0
    table = _TABLES[type(rows[0])]
    frame = pl.DataFrame([asdict(row) for row in rows], infer_schema_length=None)
    con = store.connection
    con.register("incoming_market", frame.to_arrow())
    try:
        con.begin()
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM incoming_market")
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.unregister("incoming_market")
    return len(rows)


def _resume_from(store: Store, table: str, column: str, exchange: str, symbol: str) -> datetime | None:
    found = store.connection.execute(
        f"SELECT max({column}) FROM {table} WHERE exchange = ? AND symbol = ?", [exchange, symbol]
    ).fetchall()[0][0]
    if found is None:
        return None
    if isinstance(found, date) and not isinstance(found, datetime):
        return day_start(found)
    return found


def sync_binance(store: Store, client: BinanceClient, symbol: str, since: date | None, until: date | None,
                 summary: MarketSummary) -> None:
    pair = f"{symbol}USDT"
    now = datetime.now(timezone.utc)
    end = min(day_after(until), now) if until else now
    end_ms = _ms(end) - 1
    default_start = day_start(since) if since else now - timedelta(days=FIRST_SYNC_DAYS)

    def start_for(table: str, column: str, floor: datetime | None = None) -> int:
        stored = None if since else _resume_from(store, table, column, "binance", symbol)
        start = stored + timedelta(milliseconds=1) if stored else default_start
        return _ms(max(start, floor) if floor else start)

    funding = client.pages("/fapi/v1/fundingRate", {"symbol": pair}, start_for("funding_rates", "funding_time"),
                           end_ms, 1000, lambda item: int(item["fundingTime"]))
    summary.rows[f"binance {symbol} funding"] = upsert(store, decode.binance_funding(funding, symbol))

    recent = now - timedelta(days=BINANCE_HISTORY_DAYS) + timedelta(minutes=5)
    for path, table, convert in (
        ("/futures/data/openInterestHist", "open_interest", decode.binance_open_interest),
        ("/futures/data/globalLongShortAccountRatio", "long_short_ratio", decode.binance_long_short),
    ):
        start_ms = start_for(table, "ts", recent)
        items = client.pages(path, {"symbol": pair, "period": "1d"}, start_ms, end_ms, 500,
                             lambda item: int(item["timestamp"])) if start_ms <= end_ms else []
        summary.rows[f"binance {symbol} {table}"] = upsert(store, convert(items, symbol, "1d"))

    # Daily candles: re-read the last stored day, which may have been fetched before it closed.
    stored_day = None if since else _resume_from(store, "prices", "day", "binance", symbol)
    candles = client.pages("/fapi/v1/klines", {"symbol": pair, "interval": "1d"},
                           _ms(stored_day) if stored_day else _ms(default_start), end_ms, 1500,
                           lambda item: int(item[0]))
    summary.rows[f"binance {symbol} prices"] = upsert(store, decode.binance_daily_klines(candles, symbol))


def sync_market(db_path: Path, exchanges: list[str], symbols: list[str], since: date | None, until: date | None,
                http: HttpClient | None = None) -> MarketSummary:
    unknown = [e for e in exchanges if e not in EXCHANGES]
    if unknown:
        raise TrackerError(f"unknown exchange {unknown[0]!r} (expected {', '.join(EXCHANGES)})")
    pending = [e for e in exchanges if e not in IMPLEMENTED]
    if pending:
        raise TrackerError(f"--exchange {pending[0]} is not supported yet (available: {', '.join(IMPLEMENTED)})")
    bad = [s for s in symbols if not s.isalnum() or not s.isupper()]
    if bad:
        raise TrackerError(f"invalid --symbol {bad[0]!r}: expected a base asset such as BTC or ETH")
    if since and until and since > until:
        raise TrackerError(f"--since {since} is after --until {until}")
    client = BinanceClient(http or HttpClient())
    summary = MarketSummary()
    with Store.open(db_path) as store:
        for symbol in symbols:
            sync_binance(store, client, symbol, since, until, summary)
    return summary


METRICS_COLUMNS = ("create_time", "symbol", "sum_open_interest", "sum_open_interest_value", "count_long_short_ratio")


def import_binance_metrics(db_path: Path, path: str) -> tuple[int, int]:
    """Load a Binance public daily `metrics` CSV (5-minute OI and long/short rows): all rows or none.

    Returns (open-interest rows, long/short rows) upserted.
    """
    import csv
    import io

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
            interest.append(decode.OpenInterestRow(
                "binance", symbol, stamp, "5m",
                decode.exact(row["sum_open_interest"], decode.VALUE_SCALE, "sum_open_interest"),
                decode.exact(row["sum_open_interest_value"], decode.VALUE_SCALE, "sum_open_interest_value"),
            ))
            if (row.get("count_long_short_ratio") or "").strip():
                ratios.append(decode.RatioRow(
                    "binance", symbol, stamp, "5m",
                    decode.exact(row["count_long_short_ratio"], decode.RATE_SCALE, "count_long_short_ratio"), None, None,
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
