"""Pure decoding of exchange market-data payloads into exact rows (no IO).

Every number arrives as a decimal string and is stored as a DECIMAL with no
rounding: a value with more digits than its column holds is refused, not cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import BadResponse, TrackerError

RATE_SCALE = 18  # funding rates and ratios: DECIMAL(38,18)
VALUE_SCALE = 12  # prices, volumes, open interest: DECIMAL(38,12)


def exact(value: Any, scale: int, what: str) -> Decimal:
    """A decimal from an API string (or int), refusing what the column cannot hold exactly."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadResponse(f"{what}: expected a decimal string, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadResponse(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise BadResponse(f"{what}: {value!r} is not a finite number")
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


def binance_error(body: Any) -> None:
    """Binance answers errors as {"code": -1121, "msg": "Invalid symbol."}: one clear line."""
    if isinstance(body, dict) and "code" in body and "msg" in body:
        raise TrackerError(f"Binance: {body['msg']} (code {body['code']})")
    if not isinstance(body, list):
        raise BadResponse(f"Binance: expected a JSON list, got {type(body).__name__}")


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


def binance_funding(body: Any, symbol: str) -> list[FundingRow]:
    binance_error(body)
    rows = []
    for item in body:
        mark = item.get("markPrice")
        rows.append(FundingRow(
            "binance", symbol, moment(item.get("fundingTime"), "fundingTime"),
            exact(item.get("fundingRate"), RATE_SCALE, "fundingRate"),
            exact(mark, VALUE_SCALE, "markPrice") if mark not in (None, "") else None,
        ))
    return rows


def binance_open_interest(body: Any, symbol: str, period: str) -> list[OpenInterestRow]:
    binance_error(body)
    return [
        OpenInterestRow(
            "binance", symbol, moment(item.get("timestamp"), "timestamp"), period,
            exact(item.get("sumOpenInterest"), VALUE_SCALE, "sumOpenInterest"),
            exact(item.get("sumOpenInterestValue"), VALUE_SCALE, "sumOpenInterestValue"),
        )
        for item in body
    ]


def binance_long_short(body: Any, symbol: str, period: str) -> list[RatioRow]:
    binance_error(body)
    return [
        RatioRow(
            "binance", symbol, moment(item.get("timestamp"), "timestamp"), period,
            exact(item.get("longShortRatio"), RATE_SCALE, "longShortRatio"),
            exact(item.get("longAccount"), RATE_SCALE, "longAccount"),
            exact(item.get("shortAccount"), RATE_SCALE, "shortAccount"),
        )
        for item in body
    ]


def binance_daily_klines(body: Any, symbol: str) -> list[PriceRow]:
    """Daily candles: [openTime, open, high, low, close, volume, closeTime, ...]."""
    binance_error(body)
    rows = []
    for item in body:
        if not isinstance(item, list) or len(item) < 6:
            raise BadResponse("Binance klines: expected [openTime, open, high, low, close, volume, ...]")
        opened = moment(item[0], "kline openTime")
        o, h, low, c, v = (exact(item[i], VALUE_SCALE, f"kline field {i}") for i in range(1, 6))
        rows.append(PriceRow("binance", symbol, opened.date(), o, h, low, c, v))
    return rows
