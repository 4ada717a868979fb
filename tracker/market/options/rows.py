"""Option rows and the decoding the venues share (pure, no IO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tracker.market.rows import RATE_SCALE, VALUE_SCALE, decimal_of, exact

_VALUE_STEP = Decimal(1).scaleb(-VALUE_SCALE)


def number(value: Any, what: str, scale: int = VALUE_SCALE) -> Decimal:
    """A venue's value, exactly, at the columns' usual scale."""
    return exact(value, scale, what)


def optional(value: Any, what: str, scale: int = VALUE_SCALE) -> Decimal | None:
    return None if value is None or value == "" else exact(value, scale, what)


def fitted(value: Any, what: str) -> Decimal | None:
    """A venue's model output (a mark IV, a forward price): exact when the column holds it, else rounded
    half-even to its 12 decimals (OKX writes these with 16 decimals and more)."""
    if value is None or value == "":
        return None
    parsed = decimal_of(value, what)
    if parsed.as_tuple().exponent < -VALUE_SCALE:  # type: ignore[operator]
        parsed = parsed.quantize(_VALUE_STEP, rounding=ROUND_HALF_EVEN)
    return exact(parsed, VALUE_SCALE, what)


@dataclass(frozen=True)
class OptionRow:
    venue: str
    underlying: str
    snapshot_ts: datetime
    instrument: str
    expiry: datetime
    strike: Decimal
    option_type: str
    open_interest: Decimal | None  # coins of the underlying
    mark_iv: Decimal | None  # a fraction
    underlying_price: Decimal | None
    volume: Decimal | None  # last 24 h, coins


@dataclass(frozen=True)
class VolatilityCandle:
    venue: str
    underlying: str
    resolution: str
    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@dataclass(frozen=True)
class PutCallRow:
    venue: str
    underlying: str
    period: str
    ts: datetime
    oi_ratio: Decimal
    volume_ratio: Decimal | None


@dataclass(frozen=True)
class ExpiryRow:
    venue: str
    underlying: str
    period: str
    ts: datetime
    expiry_day: date
    call_oi: Decimal
    put_oi: Decimal
    call_volume: Decimal | None
    put_volume: Decimal | None


@dataclass(frozen=True)
class StrikeRow:
    venue: str
    underlying: str
    period: str
    ts: datetime
    expiry_day: date
    strike: Decimal
    call_oi: Decimal
    put_oi: Decimal
    call_volume: Decimal | None
    put_volume: Decimal | None


TABLES: dict[type, tuple[str, tuple[str, ...]]] = {
    OptionRow: ("options_oi", ("venue", "instrument", "snapshot_ts")),
    VolatilityCandle: ("volatility_index", ("venue", "underlying", "resolution", "ts")),
    PutCallRow: ("options_put_call", ("venue", "underlying", "period", "ts")),
    ExpiryRow: ("options_oi_by_expiry", ("venue", "underlying", "period", "ts", "expiry_day")),
    StrikeRow: ("options_oi_by_strike", ("venue", "underlying", "period", "ts", "expiry_day", "strike")),
}

RATIO_SCALE = RATE_SCALE
