"""Binance USDⓈ-M futures: public endpoints, payloads decoded exactly; pages forwards by startTime."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tracker import http as http_module
from tracker.errors import BadResponse, TrackerError
from tracker.http import parse_json
from tracker.market.feeds import ACK, Feed, Reading, data, json_frame
from tracker.market.paging import Series, get, VenueClient
from tracker.market.rows import (
    RATE_SCALE, VALUE_SCALE, FundingRow, LiquidationRow, OpenInterestRow, PriceRow, RatioRow, base_asset, candle,
    exact, liquidation, moment,
)

# Binance reports the IP's used request weight of the current minute; its futures limit is 2400.
BINANCE_WEIGHT_LIMIT = 2400
BINANCE_WEIGHT_HEADROOM = 0.8
# Binance keeps open interest and long/short history for the last 30 days only.
BINANCE_HISTORY_DAYS = 30


def binance_error(body: Any) -> None:
    """Binance answers errors as {"code": -1121, "msg": "Invalid symbol."}: one clear line."""
    if isinstance(body, dict) and "code" in body and "msg" in body:
        raise TrackerError(f"Binance: {body['msg']} (code {body['code']})")
    if not isinstance(body, list):
        raise BadResponse(f"Binance: expected a JSON list, got {type(body).__name__}")


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
    return [candle("binance", symbol, item, "Binance kline") for item in body]



# The liquidation order's side: a SELL closes a long, a BUY a short (USDⓈ-M docs, "Liquidation Order Streams").
_BINANCE_LIQUIDATED = {"SELL": "long", "BUY": "short"}


def binance_force_order(frame: Any) -> list[LiquidationRow]:
    """One `!forceOrder@arr` frame (bare, or wrapped as {"stream", "data"}): its liquidation, at the average
    fill price for the filled quantity; a subscribe ack or a COIN-M event (`st` 2, quantities in contracts)
    gives nothing. Binance pushes at most the latest liquidation per symbol per second: a lower bound."""
    if isinstance(frame, dict) and "stream" in frame and "data" in frame:
        frame = frame["data"]
    if not isinstance(frame, dict):
        raise BadResponse(f"Binance: expected a JSON object, got {type(frame).__name__}")
    if "id" in frame and "result" in frame:
        return []  # {"result": null, "id": 1}: subscribed
    if "code" in frame and "msg" in frame:
        raise TrackerError(f"Binance: {frame['msg']} (code {frame['code']})")
    if frame.get("e") != "forceOrder":
        raise BadResponse(f"Binance: expected a forceOrder event, got {str(frame)[:80]}")
    if frame.get("st", 1) != 1:
        return []
    order = frame.get("o")
    if not isinstance(order, dict) or order.get("S") not in _BINANCE_LIQUIDATED:
        raise BadResponse(f"Binance forceOrder: order missing or side not BUY/SELL: {str(order)[:80]}")
    instrument = str(order.get("s") or "")
    return [liquidation("binance", base_asset(instrument), instrument, order.get("T"), _BINANCE_LIQUIDATED[order["S"]],
                        order.get("ap"), order.get("z"), "ws", "Binance forceOrder")]


BINANCE_LIQUIDATION_STREAM = "!forceOrder@arr"


def binance_liquidation_reading(text: str, symbols: frozenset[str]) -> Reading:
    frame = json_frame(text, "Binance")
    if isinstance(frame, dict) and "id" in frame and "error" in frame:  # a refused SUBSCRIBE
        error = frame["error"] if isinstance(frame["error"], dict) else {}
        raise TrackerError(f"Binance: subscribe refused: {error.get('msg') or frame['error']} (code {error.get('code')})")
    if isinstance(frame, dict) and "id" in frame and "result" in frame:
        return ACK
    return data(binance_force_order(frame), symbols)


def binance_liquidation_feed(base_url: str, symbols: frozenset[str]) -> Feed:
    """All-market liquidations on the routed `/market` path (any other path is silent, not refused).
    Keep-alive is the server's ping control frame every 3 minutes, answered by the websocket library."""
    subscribe = f'{{"method":"SUBSCRIBE","params":["{BINANCE_LIQUIDATION_STREAM}"],"id":1}}'
    return Feed("binance", ((BINANCE_LIQUIDATION_STREAM, tuple(sorted(symbols))),), f"{base_url.rstrip('/')}/market/ws", (subscribe,),
                lambda text: binance_liquidation_reading(text, symbols), proof="event")


class BinanceClient(VenueClient):
    """USDⓈ-M futures public endpoints (base URL from TRACKER_BINANCE_URL)."""

    name, url_setting = "binance", "market.binance_url"
    pause = 0.0  # seconds to wait before the next request (the used weight neared the limit)

    def _watch_weight(self, headers: Any) -> None:
        used = headers.get("X-MBX-USED-WEIGHT-1M")
        if used and used.isdigit() and int(used) >= BINANCE_WEIGHT_LIMIT * BINANCE_WEIGHT_HEADROOM:
            self.pause = 61 - time.time() % 60  # the weight counter resets each minute

    def get(self, path: str, params: dict[str, Any]) -> list[Any]:
        if self.pause:
            http_module.sleep(self.pause)
            self.pause = 0.0
        body = get(self.http, f"{self.base_url}{path}", lambda raw: parse_json(raw, "Binance"), binance_error,
                    params=params, on_headers=self._watch_weight)
        binance_error(body)
        return body

    def forwards(self, path: str, params: dict[str, Any], limit: int, time_of: Callable[[Any], int]
                 ) -> Callable[[int, int], list[Any]]:
        """Ascending pages from start_ms to end_ms, each starting after the last item of the one before."""

        def fetch(start_ms: int, end_ms: int) -> list[Any]:
            items: list[Any] = []
            cursor = start_ms
            while cursor <= end_ms:
                page = self.get(path, {**params, "startTime": cursor, "endTime": end_ms, "limit": limit})
                items.extend(page)
                if len(page) < limit:
                    break
                cursor = time_of(page[-1]) + 1
            return items

        return fetch

    def series(self, symbol: str) -> list[Series]:
        pair = f"{symbol}USDT"
        daily = {"symbol": pair, "period": "1d"}
        return [
            Series("funding", "funding_rates", "funding_time",
                   self.forwards("/fapi/v1/fundingRate", {"symbol": pair}, 1000, lambda item: int(item["fundingTime"])),
                   lambda items: binance_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.forwards("/futures/data/openInterestHist", daily, 500, lambda item: int(item["timestamp"])),
                   lambda items: binance_open_interest(items, symbol, "1d"), BINANCE_HISTORY_DAYS, period="1d"),
            # Hourly OI (period=1h, same 30 days): the liquidation-level model's input.
            Series("open_interest_1h", "open_interest", "ts",
                   self.forwards("/futures/data/openInterestHist", {"symbol": pair, "period": "1h"}, 500,
                                 lambda item: int(item["timestamp"])),
                   lambda items: binance_open_interest(items, symbol, "1h"), BINANCE_HISTORY_DAYS, period="1h"),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.forwards("/futures/data/globalLongShortAccountRatio", daily, 500,
                                 lambda item: int(item["timestamp"])),
                   lambda items: binance_long_short(items, symbol, "1d"), BINANCE_HISTORY_DAYS, period="1d"),
            Series("prices", "prices", "day",
                   self.forwards("/fapi/v1/klines", {"symbol": pair, "interval": "1d"}, 1500, lambda item: int(item[0])),
                   lambda items: binance_daily_klines(items, symbol), reread_last=True),
        ]
