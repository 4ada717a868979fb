"""What every venue client shares: the stored-series declaration, GETs that read venue error bodies, paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from tracker import settings
from tracker.errors import BadResponse
from tracker.http import HttpClient, HttpStatusError


@dataclass(frozen=True)
class Series:
    """One stored series of one venue and symbol: how to fetch a time range and decode it."""

    kind: str  # funding | open_interest | open_interest_1h | long_short_ratio | prices: the summary's key
    table: str
    column: str
    fetch: Callable[[int, int], list[Any]]  # (start_ms, end_ms) -> raw items
    decode: Callable[[list[Any]], list[Any]]
    history_days: int | None = None  # the venue keeps only this much
    reread_last: bool = False  # daily candles: the last stored day may have been read before it closed
    period: str | None = None  # the table holds several periods: resume from this one's rows only


def venue_url(key: str, given: str | None) -> str:
    return (given or settings.get(key)).rstrip("/")


def get(http: HttpClient, url: str, parse: Callable[[bytes], Any], check: Callable[[Any], Any],
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


class VenueClient:
    """A venue's client: its name, its base-URL setting and the one shared HTTP session."""

    name: str
    url_setting: str  # e.g. market.binance_url

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = venue_url(self.url_setting, base_url)
