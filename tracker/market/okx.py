"""OKX v5 USDT-margined swaps: public and trading-data endpoints, payloads decoded exactly; newest first."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tracker import http as http_module
from tracker.errors import BadResponse, TrackerError
from tracker.http import RetryableRpcError, parse_json
from tracker.market.feeds import ACK, OTHER, PONG, Feed, Reading, data, json_frame
from tracker.market.paging import Series, backwards, get, VenueClient
from tracker.market.rows import (
    RATE_SCALE, VALUE_SCALE, FundingRow, LiquidationRow, OpenInterestRow, PriceRow, RatioRow, base_asset, candle,
    exact, liquidation, moment,
)

# OKX's trading-data (rubik) endpoints allow 5 requests per 2 s per IP: pace every OKX request.
OKX_MIN_INTERVAL = 0.4
# Contract open-interest history keeps the latest 1,440 entries per period: 60 days of hours.
OKX_HOURLY_HISTORY_DAYS = 60


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
    return [candle("okx", symbol, item, "OKX candle", volume_at=6) for item in items]



# The liquidation order's side: `sell` closes a long, `buy` a short (`posSide` is `net` outside hedge mode).
_OKX_LIQUIDATED = {"sell": "long", "buy": "short"}


def okx_contract_values(items: list[Any]) -> dict[str, Decimal]:
    """instId -> base units per contract, for the linear swaps of a `public/instruments?instType=SWAP` answer."""
    return {str(item.get("instId")): exact(item.get("ctVal"), VALUE_SCALE, f"{item.get('instId')} ctVal")
            for item in items if isinstance(item, dict) and item.get("ctType") == "linear"}


def okx_liquidations(items: list[Any], contract_values: dict[str, Decimal], source: str) -> list[LiquidationRow]:
    """The `data` of a `liquidation-orders` push (source 'ws') or of REST `public/liquidation-orders` ('rest'):
    each detail at its bankruptcy price, its size in contracts × the contract value. Inverse (coin-margined)
    swaps are left out: their contracts are worth dollars, not coins."""
    rows = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("details"), list):
            raise BadResponse(f"OKX liquidation-orders: expected details in {str(item)[:80]}")
        instrument = str(item.get("instId") or "")
        if item.get("instType") != "SWAP" or not instrument.endswith(("-USDT-SWAP", "-USDC-SWAP")):
            continue
        if instrument not in contract_values:
            raise BadResponse(f"OKX liquidation-orders: no contract value for {instrument} (public/instruments)")
        for detail in item["details"]:
            if not isinstance(detail, dict) or detail.get("side") not in _OKX_LIQUIDATED:
                raise BadResponse(f"OKX liquidation-orders: side not buy/sell in {str(detail)[:80]}")
            contracts = exact(detail.get("sz"), VALUE_SCALE, f"OKX {instrument} sz")
            qty = exact(str(contracts * contract_values[instrument]), VALUE_SCALE, f"OKX {instrument} size in coins")
            rows.append(liquidation("okx", base_asset(instrument), instrument, detail.get("ts"),
                                    _OKX_LIQUIDATED[detail["side"]], detail.get("bkPx"), qty, source,
                                    "OKX liquidation-orders"))
    return rows


def okx_liquidation_frame(frame: Any, contract_values: dict[str, Decimal]) -> list[LiquidationRow]:
    """One frame of the public websocket: a `liquidation-orders` push's liquidations; the subscribe event gives
    nothing and an error event is one error line. (The keep-alive `pong` is bare text, not JSON.)"""
    if not isinstance(frame, dict):
        raise BadResponse(f"OKX: expected a JSON object, got {type(frame).__name__}")
    if frame.get("event") == "error":
        raise TrackerError(f"OKX: {frame.get('msg') or 'error'} (code {frame.get('code')})")
    if "event" in frame:
        return []
    arg = frame.get("arg")
    if not isinstance(arg, dict) or arg.get("channel") != "liquidation-orders" or not isinstance(frame.get("data"), list):
        raise BadResponse(f"OKX: expected a liquidation-orders push, got {str(frame)[:80]}")
    return okx_liquidations(frame["data"], contract_values, "ws")


OKX_LIQUIDATION_STREAM = "liquidation-orders:SWAP"
# REST liquidation-orders is undocumented now and keeps about a day: a bounded, best-effort walk back.
OKX_BACKFILL_PAGES = 20


def okx_liquidation_reading(text: str, symbols: frozenset[str], contract_values: dict[str, Decimal]) -> Reading:
    if text == "pong":  # the keep-alive answer is bare text
        return PONG
    frame = json_frame(text, "OKX")
    if isinstance(frame, dict) and "event" in frame:
        okx_liquidation_frame(frame, contract_values)  # raises on an error event
        return ACK if frame["event"] == "subscribe" else OTHER
    return data(okx_liquidation_frame(frame, contract_values), symbols)


def okx_liquidation_feed(base_url: str, symbols: frozenset[str], contract_values: dict[str, Decimal]) -> Feed:
    """Channel `liquidation-orders` for every SWAP (it takes no instrument); the text `ping` keeps the
    connection open through quiet spells (OKX closes it after 30 s without traffic)."""
    subscribe = '{"op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"}]}'
    return Feed("okx", ((OKX_LIQUIDATION_STREAM, tuple(sorted(symbols))),), f"{base_url.rstrip('/')}/ws/v5/public", (subscribe,),
                lambda text: okx_liquidation_reading(text, symbols, contract_values), ping_text="ping",
                ping_every=20.0)


def okx_oldest_detail(items: list[Any]) -> int | None:
    stamps = [int(detail["ts"]) for item in items if isinstance(item, dict)
              for detail in item.get("details") or [] if isinstance(detail, dict) and str(detail.get("ts", "")).isdigit()]
    return min(stamps) if stamps else None


class OkxClient(VenueClient):
    """OKX v5 public and trading-data endpoints, USDT-margined swaps (base URL from TRACKER_OKX_URL)."""

    name, url_setting = "okx", "market.okx_url"
    last_request = float("-inf")  # monotonic time of the last request (requests are paced)

    @staticmethod
    def _parse(raw: bytes) -> list[Any]:
        body = parse_json(raw, "OKX")
        if isinstance(body, dict) and str(body.get("code")) == OKX_RATE_LIMITED:
            raise RetryableRpcError(f"OKX: rate limited: {body.get('msg')}")
        return okx_data(body)

    def get(self, path: str, params: dict[str, Any]) -> list[Any]:
        wait = self.last_request + OKX_MIN_INTERVAL - time.monotonic()
        if wait > 0:
            http_module.sleep(wait)
        self.last_request = time.monotonic()
        return get(self.http, f"{self.base_url}{path}", self._parse, okx_data, params=params)

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
                   lambda items: okx_funding(items, symbol)),
            Series("open_interest", "open_interest", "ts",
                   self.before("/api/v5/rubik/stat/contracts/open-interest-history", {"instId": swap, "period": "1Dutc"},
                               100, first, rubik=True),
                   lambda items: okx_open_interest(items, symbol, "1d"), period="1d"),
            # Hourly OI ("1H"): the liquidation-level model's input.
            Series("open_interest_1h", "open_interest", "ts",
                   self.before("/api/v5/rubik/stat/contracts/open-interest-history", {"instId": swap, "period": "1H"},
                               100, first, rubik=True),
                   lambda items: okx_open_interest(items, symbol, "1h"), OKX_HOURLY_HISTORY_DAYS, period="1h"),
            Series("long_short_ratio", "long_short_ratio", "ts",
                   self.before("/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                               {"instId": swap, "period": "1Dutc"}, 100, first, rubik=True),
                   lambda items: okx_long_short(items, symbol, "1d"), period="1d"),
            # "1Dutc": days cut at 00:00 UTC like the other venues ("1D" is cut at Hong Kong midnight).
            Series("prices", "prices", "day",
                   self.before("/api/v5/market/history-candles", {"instId": swap, "bar": "1Dutc"}, 100, first),
                   lambda items: okx_daily_candles(items, symbol), reread_last=True),
        ]

    def contract_values(self) -> dict[str, Decimal]:
        """Base units per contract of every linear swap (liquidation sizes come in contracts)."""
        return okx_contract_values(self.get("/api/v5/public/instruments", {"instType": "SWAP"}))

    def recent_liquidations(self, symbol: str, contract_values: dict[str, Decimal]) -> list[LiquidationRow]:
        """Filled liquidations of `{symbol}-USDT` swaps that REST still keeps, newest first, paged by `after`."""
        params = {"instType": "SWAP", "instFamily": f"{symbol}-USDT", "state": "filled", "limit": 100}
        rows: list[LiquidationRow] = []
        cursor = None
        for _ in range(OKX_BACKFILL_PAGES):
            items = self.get("/api/v5/public/liquidation-orders", {**params, **({"after": cursor} if cursor else {})})
            rows += okx_liquidations(items, contract_values, "rest")
            oldest = okx_oldest_detail(items)
            if oldest is None or (cursor is not None and oldest >= cursor):
                break
            cursor = oldest
        return [row for row in rows if row.symbol == symbol]
