"""Bybit v5 linear (USDT) perpetuals: payloads decoded exactly; lists come newest first and page backwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tracker.errors import BadResponse, TrackerError
from tracker.http import RetryableRpcError, parse_json
from tracker.market.feeds import ACK, OTHER, PONG, Feed, Reading, data, json_frame
from tracker.market.paging import Series, backwards, by_cursor, get, VenueClient
from tracker.market.rows import (
    RATE_SCALE, VALUE_SCALE, FundingRow, LiquidationRow, OpenInterestRow, PriceRow, RatioRow, base_asset, candle,
    exact, liquidation, moment, ratio_of,
)

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
    return [candle("bybit", symbol, item, "Bybit kline") for item in items]



# "Position side … When you receive a Buy update, this means that a long position has been liquidated" (v5
# docs, All Liquidation): the opposite of Binance's order side.
_BYBIT_LIQUIDATED = {"Buy": "long", "Sell": "short"}


def bybit_all_liquidation(frame: Any) -> list[LiquidationRow]:
    """One frame of the v5 public linear stream: the liquidations of an `allLiquidation.{symbol}` push at
    their bankruptcy price `p` and size `v`; a subscribe ack or a pong gives nothing, a refusal is an error."""
    if not isinstance(frame, dict):
        raise BadResponse(f"Bybit: expected a JSON object, got {type(frame).__name__}")
    if "op" in frame:  # {"success": true, "op": "subscribe"} / {"success": true, "ret_msg": "pong", "op": "ping"}
        if frame.get("success") is False:
            raise TrackerError(f"Bybit: {frame.get('ret_msg') or 'refused'} ({frame.get('op')})")
        return []
    topic = str(frame.get("topic") or "")
    if not topic.startswith("allLiquidation.") or not isinstance(frame.get("data"), list):
        raise BadResponse(f"Bybit: expected an allLiquidation push, got {str(frame)[:80]}")
    rows = []
    for item in frame["data"]:
        if not isinstance(item, dict) or item.get("S") not in _BYBIT_LIQUIDATED:
            raise BadResponse(f"Bybit allLiquidation: side not Buy/Sell in {str(item)[:80]}")
        instrument = str(item.get("s") or "")
        rows.append(liquidation("bybit", base_asset(instrument), instrument, item.get("T"),
                                _BYBIT_LIQUIDATED[item["S"]], item.get("p"), item.get("v"), "ws", "Bybit allLiquidation"))
    return rows


def bybit_liquidation_reading(text: str, symbols: frozenset[str]) -> Reading:
    frame = json_frame(text, "Bybit")
    if isinstance(frame, dict) and "op" in frame:
        bybit_all_liquidation(frame)  # raises on a refusal
        # the linear pong is {"op": "ping", "ret_msg": "pong"}; other products answer {"op": "pong"}
        return {"subscribe": ACK, "ping": PONG, "pong": PONG}.get(str(frame["op"]), OTHER)
    return data(bybit_all_liquidation(frame), symbols)


def bybit_liquidation_feed(base_url: str, symbols: frozenset[str]) -> Feed:
    """One `allLiquidation.{symbol}` topic per symbol (there is no wildcard), JSON ping every 20 s."""
    topics = tuple((f"allLiquidation.{symbol}USDT", (symbol,)) for symbol in sorted(symbols))
    subscribe = orjson.dumps({"op": "subscribe", "args": [topic for topic, _ in topics]}).decode()
    return Feed("bybit", topics, f"{base_url.rstrip('/')}/v5/public/linear", (subscribe,),
                lambda text: bybit_liquidation_reading(text, symbols), ping_text='{"op":"ping"}', ping_every=20.0)


class BybitClient(VenueClient):
    """Bybit v5 market endpoints, linear (USDT) perpetuals (base URL from TRACKER_BYBIT_URL)."""

    name, url_setting = "bybit", "market.bybit_url"

    @staticmethod
    def _parse(raw: bytes) -> tuple[list[Any], str]:
        body = parse_json(raw, "Bybit")
        if isinstance(body, dict) and body.get("retCode") == BYBIT_RATE_LIMITED:
            raise RetryableRpcError(f"Bybit: rate limited: {body.get('retMsg')}")
        return bybit_result(body)

    def get(self, path: str, params: dict[str, Any]) -> tuple[list[Any], str]:
        # Bybit answers 403 when an IP exceeds its request rate: wait and retry like a 429.
        return get(self.http, f"{self.base_url}{path}", self._parse, bybit_result,
                    params={"category": "linear", **params}, also_retry=frozenset({403}))

    def ending_at(self, path: str, params: dict[str, Any], end_param: str, limit: int,
                  time_of: Callable[[Any], int], start_param: str | None = None) -> Callable[[int, int], list[Any]]:
        def fetch(start_ms: int, end_ms: int) -> list[Any]:
            start = {start_param: start_ms} if start_param else {}
            return backwards(lambda cursor: self.get(path, {**params, **start, end_param: cursor, "limit": limit})[0],
                             start_ms, end_ms, limit, time_of, f"Bybit {path}")
        return fetch

    def cursored(self, path: str, params: dict[str, Any], limit: int) -> Callable[[int, int], list[Any]]:
        def fetch(start_ms: int, end_ms: int) -> list[Any]:
            window = {**params, "startTime": start_ms, "endTime": end_ms, "limit": limit}
            return by_cursor(lambda cursor: self.get(path, {**window, **({"cursor": cursor} if cursor else {})}),
                             f"Bybit {path}")
        return fetch

    def series(self, symbol: str) -> list[Series]:
        pair = f"{symbol}USDT"
        return [
            # Funding history refuses startTime without endTime; endTime alone gives the 200 before it.
            Series("funding", "funding_rates", "funding_time",
                   self.ending_at("/v5/market/funding/history", {"symbol": pair}, "endTime", 200,
                                  lambda item: int(item["fundingRateTimestamp"])),
                   lambda items: bybit_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.cursored("/v5/market/open-interest", {"symbol": pair, "intervalTime": "1d"}, 200),
                   lambda items: bybit_open_interest(items, symbol, "1d"), period="1d"),
            Series("open_interest_1h", "open_interest", "ts",
                   self.cursored("/v5/market/open-interest", {"symbol": pair, "intervalTime": "1h"}, 200),
                   lambda items: bybit_open_interest(items, symbol, "1h"), period="1h"),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.cursored("/v5/market/account-ratio", {"symbol": pair, "period": "1d"}, 500),
                   lambda items: bybit_long_short(items, symbol, "1d"), period="1d"),
            Series("prices", "prices", "day",
                   self.ending_at("/v5/market/kline", {"symbol": pair, "interval": "D"}, "end", 1000,
                                  lambda item: int(item[0]), start_param="start"),
                   lambda items: bybit_daily_klines(items, symbol), reread_last=True),
        ]
