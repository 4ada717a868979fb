"""The open estimated-liquidation-level model (an ESTIMATE, not venue data) and `tracker market levels`.

Per symbol, the hourly open-interest series of every venue is walked in time order. An OI increase is
attributed to positions opened at that hour's entry price, split long/short by the venue's latest long/short
ratio and spread over assumed leverage tiers; each tranche's isolated-margin liquidation price follows from
entry, leverage and the venue's first-tier maintenance-margin rate. An OI decrease closes every tranche of the
venue pro rata; a price path through a tranche's liquidation price removes it. At each hour the open tranches'
notional is bucketed by liquidation price. The model is pure (`simulate`); `build_levels` reads and writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from tracker.days import day_after, day_start
from tracker.errors import TrackerError
from tracker.store import Store, register_frame, transaction

DEFAULT_BUCKET_PCT = 0.5
# Assumed share of newly opened notional per leverage (an assumption: venues publish no leverage mix).
LEVERAGE_WEIGHTS: tuple[tuple[int, float], ...] = ((5, 0.30), (10, 0.30), (25, 0.20), (50, 0.12), (100, 0.08))
# First-tier maintenance-margin rates (README lists the sources; ETH and OKX values are assumptions).
MAINTENANCE_MARGIN = {"binance": 0.004, "bybit": 0.005, "okx": 0.005}
VENUE_ORDER = ("binance", "bybit", "okx")  # which venue's implied price is used first
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OiPoint:
    venue: str
    ts: datetime
    coins: float
    value_usd: float | None  # None: the venue gives coins only (Bybit)


@dataclass(frozen=True)
class DayRange:
    high: float
    low: float
    close: float


@dataclass
class Tranche:
    venue: str
    opened: datetime
    side: str  # the side that would be liquidated: the position's own side
    coins: float
    liquidation: float


@dataclass(frozen=True)
class Model:
    bucket_width: float  # USD, fixed for the run so buckets line up over time
    weights: tuple[tuple[int, float], ...] = LEVERAGE_WEIGHTS
    mmr: dict[str, float] = field(default_factory=lambda: dict(MAINTENANCE_MARGIN))


@dataclass(frozen=True)
class Snapshot:
    ts: datetime
    price: float
    buckets: dict[tuple[str, int], float]  # (side, bucket index) -> notional USD at the snapshot price


def liquidation_price(entry: float, leverage: float, mmr: float, side: str) -> float:
    """Isolated margin, USDT-margined, no fees and no extra margin: long entry×(1 − 1/L + mmr), short
    entry×(1 + 1/L − mmr) (Bybit's "Liquidation Price (USDT Contract)" with IM = value/L, MM = value×mmr)."""
    return entry * (1 - 1 / leverage + mmr) if side == "long" else entry * (1 + 1 / leverage - mmr)


def long_share(ratio: float | None) -> float:
    """Long/short account ratio r → the long share r/(1+r); no ratio stored → half."""
    return 0.5 if ratio is None or ratio < 0 else ratio / (1 + ratio)


def bucket_of(price: float, width: float) -> int:
    """Buckets are [k×width, (k+1)×width): a price on an edge belongs to the bucket above it."""
    return math.floor(price / width + 1e-9)


def bucket_width(reference: float, bucket_pct: float) -> Decimal:
    """bucket_pct % of the reference price, in whole cents (at least one)."""
    return max(Decimal(repr(reference * bucket_pct / 100)).quantize(CENT, rounding=ROUND_HALF_EVEN), CENT)


def _latest(series: list[tuple[datetime, float]], ts: datetime) -> float | None:
    found = None
    for when, value in series:  # sorted by time
        if when > ts:
            break
        found = value
    return found


def price_at(ts: datetime, points: dict[str, OiPoint], days: dict[date, DayRange]) -> float | None:
    """An hour's price: the first venue's implied price (USD value ÷ coins), else that day's close."""
    for venue in VENUE_ORDER:
        point = points.get(venue)
        if point and point.value_usd is not None and point.coins > 0:
            return point.value_usd / point.coins
    day = days.get(ts.date())
    return day.close if day else None


def reference_price(points: list[OiPoint], days: dict[date, DayRange]) -> float | None:
    """The first hour's price that exists: it fixes the bucket width for the run."""
    by_ts: dict[datetime, dict[str, OiPoint]] = {}
    for point in points:
        by_ts.setdefault(point.ts, {})[point.venue] = point
    return next((price for ts in sorted(by_ts) if (price := price_at(ts, by_ts[ts], days)) is not None), None)


def simulate(points: Iterable[OiPoint], ratios: dict[str, list[tuple[datetime, float]]],
             days: dict[date, DayRange], model: Model) -> list[Snapshot]:
    """Walk every venue's hourly OI in time order; one snapshot per hour that has a price."""
    by_ts: dict[datetime, dict[str, OiPoint]] = {}
    for point in points:
        by_ts.setdefault(point.ts, {})[point.venue] = point
    previous: dict[str, float] = {}  # venue -> coins at its last point
    tranches: list[Tranche] = []
    last_price: float | None = None
    last_ts: datetime | None = None
    snapshots = []
    for ts in sorted(by_ts):
        here = by_ts[ts]
        price = price_at(ts, here, days)
        if price is None:
            continue
        # 1. Price crossing: the path from the last hour's price to this one's, and the range of every whole
        # UTC day that ended since (only for tranches open before that day began: no look-ahead).
        low = min(price, last_price if last_price is not None else price)
        high = max(price, last_price if last_price is not None else price)
        crossed_days = []
        if last_ts is not None:
            day = last_ts.date()
            while day_after(day) <= ts:
                if day in days:
                    crossed_days.append((day_start(day), days[day]))
                day += timedelta(days=1)
        kept = []
        for tranche in tranches:
            lows = [low] + [r.low for began, r in crossed_days if tranche.opened <= began]
            highs = [high] + [r.high for began, r in crossed_days if tranche.opened <= began]
            hit = min(lows) <= tranche.liquidation if tranche.side == "long" else max(highs) >= tranche.liquidation
            if not hit:
                kept.append(tranche)
        tranches = kept
        # 2. Open-interest change per venue: increase -> new tranches, decrease -> every tranche pro rata.
        for venue in sorted(here):
            point = here[venue]
            before = previous.get(venue)
            previous[venue] = point.coins
            if before is None or point.coins == before:
                continue  # the first hour is the baseline: positions opened before it are not modelled
            if point.coins < before:
                keep = point.coins / before if before > 0 else 0.0
                for tranche in tranches:
                    if tranche.venue == venue:
                        tranche.coins *= keep
                continue
            entry = (point.value_usd / point.coins if point.value_usd is not None and point.coins > 0 else price)
            added = point.coins - before
            share = long_share(_latest(ratios.get(venue, []), ts))
            mmr = model.mmr.get(venue, max(model.mmr.values()))
            for side, part in (("long", share), ("short", 1 - share)):
                for leverage, weight in model.weights:
                    tranches.append(Tranche(venue, ts, side, added * part * weight,
                                            liquidation_price(entry, leverage, mmr, side)))
        # 3. The snapshot: open notional at this hour's price, by side and liquidation-price bucket.
        buckets: dict[tuple[str, int], float] = {}
        for tranche in tranches:
            key = (tranche.side, bucket_of(tranche.liquidation, model.bucket_width))
            buckets[key] = buckets.get(key, 0.0) + tranche.coins * price
        snapshots.append(Snapshot(ts, price, buckets))
        last_price, last_ts = price, ts
    return snapshots


LEVEL_COLUMNS = ("symbol", "ts", "side", "price_low", "price_high", "notional_usd")
SNAPSHOT_COLUMNS = ("symbol", "ts", "price", "bucket_width")


def level_rows(symbol: str, snapshots: list[Snapshot], width: Decimal) -> list[tuple]:
    """liquidation_levels rows (notional in cents; empty buckets left out)."""
    rows = []
    for snapshot in snapshots:
        for (side, index), notional in sorted(snapshot.buckets.items()):
            cents = Decimal(repr(notional)).quantize(CENT, rounding=ROUND_HALF_EVEN)
            if cents > 0:
                rows.append((symbol, snapshot.ts, side, index * width, (index + 1) * width, cents))
    return rows


def snapshot_rows(symbol: str, snapshots: list[Snapshot], width: Decimal) -> list[tuple]:
    return [(symbol, s.ts, Decimal(repr(s.price)).quantize(Decimal("1e-8"), rounding=ROUND_HALF_EVEN), width)
            for s in snapshots]


def _insert(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    import polars as pl

    if not rows:
        return
    frame = pl.DataFrame([dict(zip(columns, row)) for row in rows], infer_schema_length=None)
    register_frame(con, "incoming_levels", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_levels")
    finally:
        con.unregister("incoming_levels")


@dataclass(frozen=True)
class LevelSummary:
    symbol: str
    snapshots: int
    buckets: int
    open_notional_usd: Decimal  # at the last snapshot written
    bucket_width: Decimal


def _inputs(store: Store, symbol: str) -> tuple[list[OiPoint], dict, dict]:
    con = store.connection
    points = [OiPoint(venue, ts, float(coins), None if value is None else float(value)) for venue, ts, coins, value
              in con.execute("SELECT exchange, ts, oi_contracts, oi_value_usd FROM open_interest WHERE symbol = ? "
                             "AND period = '1h' AND oi_contracts IS NOT NULL ORDER BY ts, exchange", [symbol]).fetchall()]
    ratios: dict[str, list[tuple[datetime, float]]] = {}
    for venue, ts, ratio in con.execute("SELECT exchange, ts, ratio FROM long_short_ratio WHERE symbol = ? "
                                        "ORDER BY exchange, ts, period", [symbol]).fetchall():
        ratios.setdefault(venue, []).append((ts, float(ratio)))
    days: dict[date, DayRange] = {}
    for day, high, low, close in con.execute(
            "SELECT day, max(high), min(low), arg_min(close, CASE exchange WHEN 'binance' THEN 0 WHEN 'bybit' THEN 1 "
            "ELSE 2 END) FROM prices WHERE symbol = ? GROUP BY day", [symbol]).fetchall():
        days[day] = DayRange(float(high), float(low), float(close))
    return points, ratios, days


def build_levels(db_path: Path, symbols: list[str] | None, since: date | None, until: date | None,
                 bucket_pct: float = DEFAULT_BUCKET_PCT) -> list[LevelSummary]:
    """Rebuild `liquidation_levels` for [since, until] (default: all stored hours) of each symbol (default:
    every symbol with hourly OI), in one transaction. The walk starts at each symbol's first stored hour, so a
    snapshot's rows do not depend on the window asked for."""
    if not math.isfinite(bucket_pct) or bucket_pct <= 0:
        raise TrackerError(f"invalid --bucket {bucket_pct}: expected a percentage above 0")
    if since and until and since > until:
        raise TrackerError(f"--since {since} is after --until {until}")
    with Store.open(db_path) as store:
        stored = [row[0] for row in store.connection.execute(
            "SELECT DISTINCT symbol FROM open_interest WHERE period = '1h' ORDER BY 1").fetchall()]
        chosen = stored if symbols is None else symbols
        missing = [symbol for symbol in chosen if symbol not in stored]
        if missing:
            raise TrackerError(f"no hourly open interest stored for {missing[0]!r} (run `tracker market sync` first)")
        low = day_start(since) if since else None
        high = day_after(until) if until else None
        results, written = [], []
        for symbol in chosen:
            points, ratios, days = _inputs(store, symbol)
            first = reference_price(points, days)
            if first is None:  # no hour has a price yet
                results.append(LevelSummary(symbol, 0, 0, Decimal(0), Decimal(0)))
                continue
            width = bucket_width(first, bucket_pct)
            snapshots = [s for s in simulate(points, ratios, days, Model(float(width)))
                         if (low is None or s.ts >= low) and (high is None or s.ts < high)]
            rows = level_rows(symbol, snapshots, width)
            last = [row for row in rows if snapshots and row[1] == snapshots[-1].ts]
            results.append(LevelSummary(symbol, len(snapshots), len(rows), sum((r[5] for r in last), Decimal(0)), width))
            written.append((symbol, rows, snapshot_rows(symbol, snapshots, width)))
        con = store.connection
        with transaction(con):
            for symbol, rows, taken in written:
                for table in ("liquidation_levels", "liquidation_level_snapshots"):
                    con.execute(f"DELETE FROM {table} WHERE symbol = ? AND (CAST(? AS TIMESTAMPTZ) IS NULL OR ts >= ?) "
                                "AND (CAST(? AS TIMESTAMPTZ) IS NULL OR ts < ?)", [symbol, low, low, high, high])
                _insert(con, "liquidation_levels", LEVEL_COLUMNS, rows)
                _insert(con, "liquidation_level_snapshots", SNAPSHOT_COLUMNS, taken)
    return results
