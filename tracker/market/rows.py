"""Market rows and the exact-decimal decoding every venue's payloads share (pure, no IO).

Every number arrives as a decimal string and is stored as a DECIMAL with no
rounding: a value with more digits than its column holds is refused, not cut.
The rows' `exchange` field is the venue; it keeps the tables' column name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any

from tracker.errors import BadResponse

RATE_SCALE = 18  # funding rates and ratios: DECIMAL(38,18)
VALUE_SCALE = 12  # prices, volumes, open interest: DECIMAL(38,12)


def decimal_of(value: Any, what: str) -> Decimal:
    """An API string, int, or a JSON number read as a Decimal (Deribit) as a finite Decimal, never via float."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise BadResponse(f"{what}: expected a decimal string, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadResponse(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise BadResponse(f"{what}: {value!r} is not a finite number")
    return number


def exact(value: Any, scale: int, what: str) -> Decimal:
    """A decimal from an API value, refusing what the column cannot hold exactly."""
    number = decimal_of(value, what)
    if number.as_tuple().exponent < -scale:  # type: ignore[operator]
        raise BadResponse(f"{what}: {value!r} has more than {scale} decimals")
    if abs(number) >= Decimal(10) ** (38 - scale):
        raise BadResponse(f"{what}: {value!r} is too large")
    return number


def moment(milliseconds: Any, what: str) -> datetime:
    try:
        value = int(milliseconds)
    except (TypeError, ValueError):
        raise BadResponse(f"{what}: expected a millisecond timestamp, got {milliseconds!r}") from None
    return datetime.fromtimestamp(value / 1000, timezone.utc)


def ratio_of(long_share: Decimal, short_share: Decimal, what: str) -> Decimal:
    """long ÷ short, rounded half-even to the ratio column's 18 decimals (the one derived figure)."""
    if short_share == 0:
        raise BadResponse(f"{what}: short share is 0, no ratio")
    return (long_share / short_share).quantize(Decimal(1).scaleb(-RATE_SCALE), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class FundingRow:
    exchange: str
    symbol: str
    funding_time: datetime
    rate: Decimal
    mark_price: Decimal | None


@dataclass(frozen=True)
class OpenInterestRow:
    exchange: str
    symbol: str
    ts: datetime
    period: str
    oi_contracts: Decimal | None
    oi_value_usd: Decimal | None


@dataclass(frozen=True)
class RatioRow:
    exchange: str
    symbol: str
    ts: datetime
    period: str
    ratio: Decimal
    long_share: Decimal | None
    short_share: Decimal | None


@dataclass(frozen=True)
class PriceRow:
    exchange: str
    symbol: str
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


NOTIONAL_SCALE = 18  # price × qty: DECIMAL(38,18) holds the product of two 9-decimal values exactly


@dataclass(frozen=True)
class LiquidationRow:
    venue: str
    symbol: str
    instrument: str
    ts: datetime
    side: str  # the position liquidated: long / short
    price: Decimal
    qty: Decimal
    notional_usd: Decimal
    source: str  # ws / rest


def base_asset(instrument: str) -> str:
    """The tool's symbol for a USDT/USDC-quoted perpetual: BTCUSDT, BTC-USDT-SWAP -> BTC."""
    head = instrument.split("-")[0] if "-" in instrument else instrument
    for quote in ("USDT", "USDC"):
        if head.endswith(quote) and len(head) > len(quote):
            return head[: -len(quote)]
    return head


def liquidation(venue: str, symbol: str, instrument: str, when: Any, side: str, price: Any, qty: Any,
                source: str, what: str) -> LiquidationRow:
    """One liquidation from its payload strings; the notional is their exact product (refused if it is not)."""
    if side not in ("long", "short"):
        raise BadResponse(f"{what}: side {side!r} is neither long nor short")
    price_value = exact(price, VALUE_SCALE, f"{what} price")
    qty_value = exact(qty, VALUE_SCALE, f"{what} quantity")
    if price_value <= 0 or qty_value <= 0:
        raise BadResponse(f"{what}: price {price!r} and quantity {qty!r} must be positive")
    with localcontext(prec=80):  # the default 28 digits would round a long product silently
        product = price_value * qty_value
    notional = exact(str(product), NOTIONAL_SCALE, f"{what} notional")
    return LiquidationRow(venue, symbol, instrument, moment(when, f"{what} time"), side, price_value, qty_value,
                          notional, source)


def candle(venue: str, symbol: str, item: Any, what: str, volume_at: int = 5) -> PriceRow:
    if not isinstance(item, list) or len(item) <= volume_at:
        raise BadResponse(f"{what}: expected [time, open, high, low, close, ..., volume, ...]")
    opened = moment(item[0], f"{what} time")
    o, h, low, c = (exact(item[i], VALUE_SCALE, f"{what} field {i}") for i in range(1, 5))
    return PriceRow(venue, symbol, opened.date(), o, h, low, c, exact(item[volume_at], VALUE_SCALE, f"{what} volume"))
