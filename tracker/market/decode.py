"""Pure decoding of exchange market-data payloads into exact rows (no IO).

Every number arrives as a decimal string and is stored as a DECIMAL with no
rounding: a value with more digits than its column holds is refused, not cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from tracker.errors import BadResponse, TrackerError

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


def ratio_of(long_share: Decimal, short_share: Decimal, what: str) -> Decimal:
    """long ÷ short, rounded half-even to the ratio column's 18 decimals (the one derived figure)."""
    if short_share == 0:
        raise BadResponse(f"{what}: short share is 0, no ratio")
    return (long_share / short_share).quantize(Decimal(1).scaleb(-RATE_SCALE), rounding=ROUND_HALF_EVEN)


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
    return [_candle("binance", symbol, item, "Binance kline") for item in body]


# Bybit v5: {"retCode": 0, "retMsg": "OK", "result": {"list": [...], "nextPageCursor": "..."}}; lists newest first.

BYBIT_RATE_LIMITED = 10006  # "Too many visits": retried like a 429


def bybit_result(body: Any) -> tuple[list[Any], str]:
    """The `result.list` of a Bybit answer and its next-page cursor ('' when none); errors as one line."""
    if not isinstance(body, dict) or "retCode" not in body:
        raise BadResponse("Bybit: expected an object with retCode")
    if body["retCode"] != 0:
        raise TrackerError(f"Bybit: {body.get('retMsg') or 'error'} (retCode {body['retCode']})")
    result = body.get("result") or {}
    items = result.get("list") if isinstance(result, dict) else None
    if not isinstance(items, list):
        raise BadResponse("Bybit: result.list missing")
    return items, str(result.get("nextPageCursor") or "")


def bybit_funding(items: list[Any], symbol: str) -> list[FundingRow]:
    return [
        FundingRow("bybit", symbol, moment(item.get("fundingRateTimestamp"), "fundingRateTimestamp"),
                   exact(item.get("fundingRate"), RATE_SCALE, "fundingRate"), None)
        for item in items
    ]


def bybit_open_interest(items: list[Any], symbol: str, period: str) -> list[OpenInterestRow]:
    """Bybit gives open interest in coins only; its USD value is derived in market_daily from the day's price."""
    return [
        OpenInterestRow("bybit", symbol, moment(item.get("timestamp"), "timestamp"), period,
                        exact(item.get("openInterest"), VALUE_SCALE, "openInterest"), None)
        for item in items
    ]


def bybit_long_short(items: list[Any], symbol: str, period: str) -> list[RatioRow]:
    rows = []
    for item in items:
        buy = exact(item.get("buyRatio"), RATE_SCALE, "buyRatio")
        sell = exact(item.get("sellRatio"), RATE_SCALE, "sellRatio")
        rows.append(RatioRow("bybit", symbol, moment(item.get("timestamp"), "timestamp"), period,
                             ratio_of(buy, sell, "Bybit account-ratio"), buy, sell))
    return rows


def bybit_daily_klines(items: list[Any], symbol: str) -> list[PriceRow]:
    """[startTime, open, high, low, close, volume (coins), turnover]."""
    return [_candle("bybit", symbol, item, "Bybit kline") for item in items]


def _candle(exchange: str, symbol: str, item: Any, what: str, volume_at: int = 5) -> PriceRow:
    if not isinstance(item, list) or len(item) <= volume_at:
        raise BadResponse(f"{what}: expected [time, open, high, low, close, ..., volume, ...]")
    opened = moment(item[0], f"{what} time")
    o, h, low, c = (exact(item[i], VALUE_SCALE, f"{what} field {i}") for i in range(1, 5))
    return PriceRow(exchange, symbol, opened.date(), o, h, low, c, exact(item[volume_at], VALUE_SCALE, f"{what} volume"))


# OKX v5: {"code": "0", "msg": "", "data": [...]}; lists newest first.

OKX_RATE_LIMITED = "50011"


def okx_data(body: Any) -> list[Any]:
    if not isinstance(body, dict) or "code" not in body:
        raise BadResponse("OKX: expected an object with code")
    if str(body["code"]) != "0":
        raise TrackerError(f"OKX: {body.get('msg') or 'error'} (code {body['code']})")
    data = body.get("data")
    if not isinstance(data, list):
        raise BadResponse("OKX: data missing")
    return data


def okx_funding(items: list[Any], symbol: str) -> list[FundingRow]:
    """`realizedRate` is what was actually settled; `fundingRate` the one announced before."""
    rows = []
    for item in items:
        rate = item.get("realizedRate") or item.get("fundingRate")
        rows.append(FundingRow("okx", symbol, moment(item.get("fundingTime"), "fundingTime"),
                               exact(rate, RATE_SCALE, "realizedRate"), None))
    return rows


def okx_open_interest(items: list[Any], symbol: str, period: str) -> list[OpenInterestRow]:
    """[ts, oi (contracts), oiCcy (coins), oiUsd]: coins are stored, comparable with the other venues."""
    rows = []
    for item in items:
        if not isinstance(item, list) or len(item) < 4:
            raise BadResponse("OKX open-interest-history: expected [ts, oi, oiCcy, oiUsd]")
        rows.append(OpenInterestRow("okx", symbol, moment(item[0], "ts"), period,
                                    exact(item[2], VALUE_SCALE, "oiCcy"), exact(item[3], VALUE_SCALE, "oiUsd")))
    return rows


def okx_long_short(items: list[Any], symbol: str, period: str) -> list[RatioRow]:
    rows = []
    for item in items:
        if not isinstance(item, list) or len(item) < 2:
            raise BadResponse("OKX long-short-account-ratio-contract: expected [ts, ratio]")
        rows.append(RatioRow("okx", symbol, moment(item[0], "ts"), period, exact(item[1], RATE_SCALE, "ratio"),
                             None, None))
    return rows


def okx_daily_candles(items: list[Any], symbol: str) -> list[PriceRow]:
    """[ts, open, high, low, close, vol (contracts), volCcy (coins), volCcyQuote, confirm]: volume in coins."""
    return [_candle("okx", symbol, item, "OKX candle", volume_at=6) for item in items]
