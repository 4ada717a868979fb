"""Deribit API v2, public methods over HTTP GET: the option chain per currency and the DVOL index.

Deribit answers JSON numbers, not strings: bodies are read with every number's literal text kept as a Decimal
(never through a float). Answers are JSON-RPC: `{"result": …}` or `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.errors import BadResponse, TrackerError
from tracker.http import RetryableRpcError, TruncatedBody
from tracker.market.options.instruments import parse
from tracker.market.options.rows import OptionRow, VolatilityCandle, fitted, number, optional
from tracker.market.paging import VenueClient, get
from tracker.market.rows import moment

DERIBIT_RATE_LIMITED = 10028  # "too_many_requests": waited out like a 429
DVOL_RESOLUTION = "1D"


def deribit_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError as error:
        raise TruncatedBody(f"Deribit: response is not complete JSON ({len(raw)} bytes)") from error


def deribit_result(body: Any) -> Any:
    """The `result` of a JSON-RPC answer; its `error` object as one line."""
    if not isinstance(body, dict):
        raise BadResponse("Deribit: expected a JSON-RPC object")
    error = body.get("error")
    if isinstance(error, dict):
        raise TrackerError(f"Deribit: {error.get('message') or 'error'} (code {error.get('code')})")
    if "result" not in body:
        raise BadResponse("Deribit: neither result nor error in the answer")
    return body["result"]


def deribit_expiries(items: Any) -> dict[str, datetime]:
    """instrument_name -> expiration time, from `public/get_instruments`."""
    if not isinstance(items, list):
        raise BadResponse("Deribit get_instruments: expected a list")
    return {str(item.get("instrument_name")): moment(item.get("expiration_timestamp"), "expiration_timestamp")
            for item in items if isinstance(item, dict) and item.get("expiration_timestamp") is not None}


def deribit_chain(items: Any, underlying: str, taken_at: datetime,
                  expiries: dict[str, datetime]) -> list[OptionRow]:
    """`public/get_book_summary_by_currency?kind=option`: open interest in coins, `mark_iv` in percent (stored
    as a fraction: ÷ 100, exact), the underlying price the IV was computed against, 24 h volume in coins."""
    if not isinstance(items, list):
        raise BadResponse("Deribit get_book_summary_by_currency: expected a list")
    rows = []
    for item in items:
        if not isinstance(item, dict):
            raise BadResponse(f"Deribit book summary: expected an object, got {str(item)[:80]}")
        name = str(item.get("instrument_name") or "")
        parsed = parse("deribit", name, underlying)
        iv = item.get("mark_iv")
        if iv is not None and (isinstance(iv, bool) or not isinstance(iv, (int, Decimal))):
            raise BadResponse(f"Deribit {name} mark_iv: expected a number, got {iv!r}")
        rows.append(OptionRow(
            "deribit", underlying, taken_at, name, expiries.get(name, parsed.settlement), parsed.strike,
            parsed.option_type, number(item.get("open_interest"), f"Deribit {name} open_interest"),
            None if iv is None else fitted(Decimal(iv).scaleb(-2), f"Deribit {name} mark_iv"),
            fitted(item.get("underlying_price"), f"Deribit {name} underlying_price"),
            optional(item.get("volume"), f"Deribit {name} volume")))
    return rows


def deribit_candles(data: Any, underlying: str) -> list[VolatilityCandle]:
    """`[[ts, open, high, low, close], …]` in index points."""
    if not isinstance(data, list):
        raise BadResponse("Deribit get_volatility_index_data: expected data as a list")
    candles = []
    for item in data:
        if not isinstance(item, list) or len(item) < 5:
            raise BadResponse(f"Deribit DVOL: expected [ts, open, high, low, close], got {str(item)[:80]}")
        o, h, low, c = (number(item[i], f"Deribit DVOL field {i}") for i in range(1, 5))
        candles.append(VolatilityCandle("deribit", underlying, DVOL_RESOLUTION, moment(item[0], "DVOL time"),
                                        o, h, low, c))
    return candles


class DeribitClient(VenueClient):
    """Deribit's public methods (base URL from TRACKER_DERIBIT_URL)."""

    name, url_setting = "deribit", "market.deribit_url"

    @staticmethod
    def _parse(raw: bytes) -> Any:
        body = deribit_json(raw)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") == DERIBIT_RATE_LIMITED:
            raise RetryableRpcError(f"Deribit: rate limited: {error.get('message')}")
        return deribit_result(body)

    def call(self, method: str, params: dict[str, Any]) -> Any:
        return get(self.http, f"{self.base_url}/api/v2/public/{method}", self._parse, deribit_result, params=params)

    def snapshot(self, underlying: str, taken_at: datetime) -> list[OptionRow]:
        # get_instruments is limited to one call per 10 s (burst 5): once per currency per snapshot.
        expiries = deribit_expiries(self.call("get_instruments",
                                              {"currency": underlying, "kind": "option", "expired": "false"}))
        summary = self.call("get_book_summary_by_currency", {"currency": underlying, "kind": "option"})
        return deribit_chain(summary, underlying, taken_at, expiries)

    def dvol(self, underlying: str, start_ms: int, end_ms: int) -> list[VolatilityCandle]:
        """Daily DVOL candles in [start_ms, end_ms], newest pages first: each answer's `continuation` is the
        next request's end_timestamp, until it is null."""
        return deribit_candles(walk_continuation(
            lambda end: self.call("get_volatility_index_data", {
                "currency": underlying, "start_timestamp": start_ms, "end_timestamp": end,
                "resolution": DVOL_RESOLUTION}), end_ms), underlying)


def walk_continuation(fetch: Callable[[int], Any], end_ms: int) -> list[Any]:
    items: list[Any] = []
    end = end_ms
    while True:
        result = fetch(end)
        if not isinstance(result, dict):
            raise BadResponse("Deribit get_volatility_index_data: expected an object")
        items.extend(result.get("data") or [])
        following = result.get("continuation")
        if following is None:
            return items
        if int(following) >= end:
            raise BadResponse(f"Deribit DVOL: continuation {following} does not move back from {end}")
        end = int(following)
