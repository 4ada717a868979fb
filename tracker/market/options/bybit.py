"""Bybit v5 options (USDC-settled, `category=option`): the chain snapshot from `market/tickers`, expiry times
from `market/instruments-info` (paged by cursor). Requests go through `BybitClient.get`: `retCode 10006` and
HTTP 403 waited out, any other `retCode` one error line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.errors import BadResponse
from tracker.market.bybit import BybitClient
from tracker.market.options.instruments import parse
from tracker.market.options.rows import OptionRow, fitted, number, optional
from tracker.market.paging import by_cursor
from tracker.market.rows import moment

BYBIT_INSTRUMENTS_PAGE = 1000  # the most instruments-info gives a page


def bybit_expiries(items: list[Any]) -> dict[str, datetime]:
    return {str(item.get("symbol")): moment(item.get("deliveryTime"), "deliveryTime")
            for item in items if isinstance(item, dict) and str(item.get("deliveryTime") or "0") != "0"}


def bybit_chain(items: list[Any], underlying: str, taken_at: datetime,
                expiries: dict[str, datetime]) -> list[OptionRow]:
    """`openInterest` and `volume24h` in coins (one contract is one coin), `markIv` a fraction, `underlyingPrice`."""
    rows = []
    for item in items:
        if not isinstance(item, dict):
            raise BadResponse(f"Bybit option tickers: expected an object, got {str(item)[:80]}")
        name = str(item.get("symbol") or "")
        parsed = parse("bybit", name, underlying)
        rows.append(OptionRow(
            "bybit", underlying, taken_at, name, expiries.get(name, parsed.settlement), parsed.strike,
            parsed.option_type, number(item.get("openInterest"), f"Bybit {name} openInterest"),
            fitted(item.get("markIv"), f"Bybit {name} markIv"),
            fitted(item.get("underlyingPrice"), f"Bybit {name} underlyingPrice"),
            optional(item.get("volume24h"), f"Bybit {name} volume24h")))
    return rows


class BybitOptions:
    """Bybit's option endpoints over the shared `BybitClient`."""

    name = "bybit"

    def __init__(self, client: BybitClient) -> None:
        self.client = client

    def snapshot(self, underlying: str, taken_at: datetime) -> list[OptionRow]:
        base = {"category": "option", "baseCoin": underlying}
        listed = by_cursor(lambda cursor: self.client.get("/v5/market/instruments-info", {
            **base, "limit": BYBIT_INSTRUMENTS_PAGE, **({"cursor": cursor} if cursor else {})}),
            "Bybit instruments-info")
        tickers, _ = self.client.get("/v5/market/tickers", base)  # one answer: tickers take no cursor
        return bybit_chain(tickers, underlying, taken_at, bybit_expiries(listed))
