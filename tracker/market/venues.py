"""Exchange REST clients over the one shared HttpClient: paging, error payloads, rate limits.

Fetching only: each `Series` returns the venue's raw items, `market_decode` turns them into rows.
Binance pages forwards by startTime; Bybit and OKX answer newest first and page backwards (by an
end time, an `after` timestamp or a cursor). All three are public endpoints: no keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from tracker import http as http_module
from tracker import settings
from tracker.errors import BadResponse
from tracker.http import HttpClient, HttpStatusError, RetryableRpcError
from tracker.ingest.evm.rpc import parse_json
from tracker.market import decode

# Binance reports the IP's used request weight of the current minute; its futures limit is 2400.
BINANCE_WEIGHT_LIMIT = 2400
BINANCE_WEIGHT_HEADROOM = 0.8
# Binance keeps open interest and long/short history for the last 30 days only.
BINANCE_HISTORY_DAYS = 30
# OKX's trading-data (rubik) endpoints allow 5 requests per 2 s per IP: pace every OKX request.
OKX_MIN_INTERVAL = 0.4


@dataclass(frozen=True)
class Series:
    """One stored series of one venue and symbol: how to fetch a time range and decode it."""

    kind: str  # funding | open_interest | long_short_ratio | prices
    table: str
    column: str
    fetch: Callable[[int, int], list[Any]]  # (start_ms, end_ms) -> raw items
    decode: Callable[[list[Any]], list[Any]]
    history_days: int | None = None  # the venue keeps only this much
    reread_last: bool = False  # daily candles: the last stored day may have been read before it closed


def _base_url(key: str, given: str | None) -> str:
    return (given or settings.get(key)).rstrip("/")


def _get(http: HttpClient, url: str, parse: Callable[[bytes], Any], check: Callable[[Any], Any],
         **options: Any) -> Any:
    """GET through the shared policy; an HTTP error carrying the venue's error payload reads as that payload."""
    try:
        return http.request("GET", url, parse, **options)
    except HttpStatusError as error:
        try:
            body = orjson.loads(error.body)
        except orjson.JSONDecodeError:
            raise error from None
        try:
            check(body)  # raises the venue's own message when the body is its error object
        except BadResponse:
            raise error from None
        raise


def backwards(fetch: Callable[[int], list[Any]], start_ms: int, end_ms: int, limit: int,
              time_of: Callable[[Any], int], what: str) -> list[Any]:
    """Newest-first pages ending at a cursor, walked back until start_ms (items outside the range dropped)."""
    items: list[Any] = []
    cursor = end_ms
    while cursor >= start_ms:
        page = fetch(cursor)
        items.extend(item for item in page if start_ms <= time_of(item) <= end_ms)
        if len(page) < limit:
            break
        oldest = min(time_of(item) for item in page)
        if oldest > cursor:
            raise BadResponse(f"{what}: a full page with nothing at or before {cursor}: paging would not end")
        cursor = oldest - 1
    return items


def by_cursor(fetch: Callable[[str], tuple[list[Any], str]], what: str) -> list[Any]:
    """Pages linked by an opaque cursor, until the venue returns none."""
    items: list[Any] = []
    cursor, seen = "", set()
    while True:
        page, cursor = fetch(cursor)
        items.extend(page)
        if not cursor or not page:
            return items
        if cursor in seen:
            raise BadResponse(f"{what}: the page cursor repeats: paging would not end")
        seen.add(cursor)


class BinanceClient:
    """USDⓈ-M futures public endpoints (base URL from TRACKER_BINANCE_URL)."""

    name = "binance"

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = _base_url("market.binance_url", base_url)
        self.pause = 0.0

    def _watch_weight(self, headers: Any) -> None:
        used = headers.get("X-MBX-USED-WEIGHT-1M")
        if used and used.isdigit() and int(used) >= BINANCE_WEIGHT_LIMIT * BINANCE_WEIGHT_HEADROOM:
            self.pause = 61 - time.time() % 60  # the weight counter resets each minute

    def get(self, path: str, params: dict[str, Any]) -> list[Any]:
        if self.pause:
            http_module.sleep(self.pause)
            self.pause = 0.0
        body = _get(self.http, f"{self.base_url}{path}", lambda raw: parse_json(raw, "Binance"), decode.binance_error,
                    params=params, on_headers=self._watch_weight)
        decode.binance_error(body)
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
                   lambda items: decode.binance_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.forwards("/futures/data/openInterestHist", daily, 500, lambda item: int(item["timestamp"])),
                   lambda items: decode.binance_open_interest(items, symbol, "1d"), BINANCE_HISTORY_DAYS),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.forwards("/futures/data/globalLongShortAccountRatio", daily, 500,
                                 lambda item: int(item["timestamp"])),
                   lambda items: decode.binance_long_short(items, symbol, "1d"), BINANCE_HISTORY_DAYS),
            Series("prices", "prices", "day",
                   self.forwards("/fapi/v1/klines", {"symbol": pair, "interval": "1d"}, 1500, lambda item: int(item[0])),
                   lambda items: decode.binance_daily_klines(items, symbol), reread_last=True),
        ]


class BybitClient:
    """Bybit v5 market endpoints, linear (USDT) perpetuals (base URL from TRACKER_BYBIT_URL)."""

    name = "bybit"

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = _base_url("market.bybit_url", base_url)

    @staticmethod
    def _parse(raw: bytes) -> tuple[list[Any], str]:
        body = parse_json(raw, "Bybit")
        if isinstance(body, dict) and body.get("retCode") == decode.BYBIT_RATE_LIMITED:
            raise RetryableRpcError(f"Bybit: rate limited: {body.get('retMsg')}")
        return decode.bybit_result(body)

    def get(self, path: str, params: dict[str, Any]) -> tuple[list[Any], str]:
        # Bybit answers 403 when an IP exceeds its request rate: wait and retry like a 429.
        return _get(self.http, f"{self.base_url}{path}", self._parse, decode.bybit_result,
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
                   lambda items: decode.bybit_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.cursored("/v5/market/open-interest", {"symbol": pair, "intervalTime": "1d"}, 200),
                   lambda items: decode.bybit_open_interest(items, symbol, "1d")),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.cursored("/v5/market/account-ratio", {"symbol": pair, "period": "1d"}, 500),
                   lambda items: decode.bybit_long_short(items, symbol, "1d")),
            Series("prices", "prices", "day",
                   self.ending_at("/v5/market/kline", {"symbol": pair, "interval": "D"}, "end", 1000,
                                  lambda item: int(item[0]), start_param="start"),
                   lambda items: decode.bybit_daily_klines(items, symbol), reread_last=True),
        ]


class OkxClient:
    """OKX v5 public and trading-data endpoints, USDT-margined swaps (base URL from TRACKER_OKX_URL)."""

    name = "okx"

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = _base_url("market.okx_url", base_url)
        self.last_request = float("-inf")

    @staticmethod
    def _parse(raw: bytes) -> list[Any]:
        body = parse_json(raw, "OKX")
        if isinstance(body, dict) and str(body.get("code")) == decode.OKX_RATE_LIMITED:
            raise RetryableRpcError(f"OKX: rate limited: {body.get('msg')}")
        return decode.okx_data(body)

    def get(self, path: str, params: dict[str, Any]) -> list[Any]:
        wait = self.last_request + OKX_MIN_INTERVAL - time.monotonic()
        if wait > 0:
            http_module.sleep(wait)
        self.last_request = time.monotonic()
        return _get(self.http, f"{self.base_url}{path}", self._parse, decode.okx_data, params=params)

    def before(self, path: str, params: dict[str, Any], limit: int, time_of: Callable[[Any], int],
               rubik: bool = False) -> Callable[[int, int], list[Any]]:
        """`after=T` asks for records older than T; the trading-data endpoints take begin/end instead."""

        def page(start_ms: int, cursor: int) -> list[Any]:
            edge = {"begin": start_ms, "end": cursor} if rubik else {"after": cursor + 1}
            return self.get(path, {**params, **edge, "limit": limit})

        def fetch(start_ms: int, end_ms: int) -> list[Any]:
            return backwards(lambda cursor: page(start_ms, cursor), start_ms, end_ms, limit, time_of, f"OKX {path}")

        return fetch

    def series(self, symbol: str) -> list[Series]:
        swap = f"{symbol}-USDT-SWAP"
        first = lambda item: int(item[0])  # noqa: E731
        return [
            Series("funding", "funding_rates", "funding_time",
                   self.before("/api/v5/public/funding-rate-history", {"instId": swap}, 100,
                               lambda item: int(item["fundingTime"])),
                   lambda items: decode.okx_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.before("/api/v5/rubik/stat/contracts/open-interest-history", {"instId": swap, "period": "1Dutc"},
                               100, first, rubik=True),
                   lambda items: decode.okx_open_interest(items, symbol, "1d")),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.before("/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                               {"instId": swap, "period": "1Dutc"}, 100, first, rubik=True),
                   lambda items: decode.okx_long_short(items, symbol, "1d")),
            # "1Dutc": days cut at 00:00 UTC like the other venues ("1D" is cut at Hong Kong midnight).
            Series("prices", "prices", "day",
                   self.before("/api/v5/market/history-candles", {"instId": swap, "bar": "1Dutc"}, 100, first),
                   lambda items: decode.okx_daily_candles(items, symbol), reread_last=True),
        ]


CLIENTS: dict[str, type[BinanceClient] | type[BybitClient] | type[OkxClient]] = {
    "binance": BinanceClient,
    "bybit": BybitClient,
    "okx": OkxClient,
}
