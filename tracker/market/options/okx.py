"""OKX v5 options (coin-margined, instrument family `BTC-USD`): the chain snapshot and the option trading
statistics (rubik). Requests go through `OkxClient.get`: paced for rubik's 5 requests per 2 s, `code 50011`
waited out, any other `code` one error line."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker.errors import BadResponse
from tracker.market.okx import OkxClient
from tracker.market.options.instruments import parse
from tracker.market.options.rows import (
    RATIO_SCALE, ExpiryRow, OptionRow, PutCallRow, StrikeRow, fitted, number, optional,
)
from tracker.market.rows import moment

# Rubik's option statistics: "1D" keeps 72 periods of put/call ratios; expiry and strike give the latest only.
OKX_OPTION_PERIOD = "1D"


def _by_instrument(items: list[Any], what: str) -> dict[str, dict[str, Any]]:
    found = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("instId"):
            raise BadResponse(f"OKX {what}: expected objects with instId, got {str(item)[:80]}")
        found[str(item["instId"])] = item
    return found


def okx_chain(open_interest: list[Any], summaries: list[Any], instruments: list[Any], underlying: str,
              taken_at: datetime) -> list[OptionRow]:
    """One row per instrument of `public/open-interest` (`oiCcy`: coins), with `opt-summary`'s `markVol`
    (a fraction) and `fwdPx` (the forward it was fitted against) and `instruments`' `expTime`.
    OKX gives no 24 h volume here: `volume` stays empty."""
    vols = _by_instrument(summaries, "opt-summary")
    listed = _by_instrument(instruments, "instruments")
    rows = []
    for name, item in _by_instrument(open_interest, "open-interest").items():
        parsed = parse("okx", name, underlying)
        summary = vols.get(name, {})
        expiry_ms = listed.get(name, {}).get("expTime")
        rows.append(OptionRow(
            "okx", underlying, taken_at, name, moment(expiry_ms, f"OKX {name} expTime") if expiry_ms
            else parsed.settlement, parsed.strike, parsed.option_type,
            number(item.get("oiCcy"), f"OKX {name} oiCcy"), fitted(summary.get("markVol"), f"OKX {name} markVol"),
            fitted(summary.get("fwdPx"), f"OKX {name} fwdPx"), None))
    return rows


def okx_put_call(items: list[Any], underlying: str) -> list[PutCallRow]:
    """[ts, oiRatio, volRatio]."""
    rows = []
    for item in items:
        if not isinstance(item, list) or len(item) < 3:
            raise BadResponse("OKX open-interest-volume-ratio: expected [ts, oiRatio, volRatio]")
        rows.append(PutCallRow("okx", underlying, OKX_OPTION_PERIOD, moment(item[0], "ts"),
                               number(item[1], "OKX oiRatio", RATIO_SCALE), optional(item[2], "OKX volRatio", RATIO_SCALE)))
    return rows


def _expiry_day(text: Any) -> date:
    try:
        return datetime.strptime(str(text), "%Y%m%d").date()
    except ValueError:
        raise BadResponse(f"OKX option statistics: expTime {text!r} is not YYYYMMDD") from None


def okx_by_expiry(items: list[Any], underlying: str) -> list[ExpiryRow]:
    """[ts, expTime (YYYYMMDD), callOI, putOI, callVol, putVol], coins."""
    rows = []
    for item in items:
        if not isinstance(item, list) or len(item) < 6:
            raise BadResponse("OKX open-interest-volume-expiry: expected [ts, expTime, callOI, putOI, callVol, putVol]")
        rows.append(ExpiryRow("okx", underlying, OKX_OPTION_PERIOD, moment(item[0], "ts"), _expiry_day(item[1]),
                              number(item[2], "OKX callOI"), number(item[3], "OKX putOI"),
                              optional(item[4], "OKX callVol"), optional(item[5], "OKX putVol")))
    return rows


def okx_by_strike(items: list[Any], underlying: str, expiry_day: date) -> list[StrikeRow]:
    """[ts, strike, callOI, putOI, callVol, putVol], coins."""
    rows = []
    for item in items:
        if not isinstance(item, list) or len(item) < 6:
            raise BadResponse("OKX open-interest-volume-strike: expected [ts, strike, callOI, putOI, callVol, putVol]")
        rows.append(StrikeRow("okx", underlying, OKX_OPTION_PERIOD, moment(item[0], "ts"), expiry_day,
                              number(item[1], "OKX strike"), number(item[2], "OKX callOI"),
                              number(item[3], "OKX putOI"), optional(item[4], "OKX callVol"),
                              optional(item[5], "OKX putVol")))
    return rows


class OkxOptions:
    """OKX's option endpoints over the shared, paced `OkxClient`."""

    name = "okx"

    def __init__(self, client: OkxClient) -> None:
        self.client = client

    def snapshot(self, underlying: str, taken_at: datetime) -> list[OptionRow]:
        family = {"instFamily": f"{underlying}-USD"}
        instruments = self.client.get("/api/v5/public/instruments", {"instType": "OPTION", **family})
        summaries = self.client.get("/api/v5/public/opt-summary", family)
        interest = self.client.get("/api/v5/public/open-interest", {"instType": "OPTION", **family})
        return okx_chain(interest, summaries, instruments, underlying, taken_at)

    def history(self, underlying: str) -> tuple[list[PutCallRow], list[ExpiryRow], list[StrikeRow]]:
        """The put/call ratios OKX keeps, and the latest OI by expiry and, for each of those expiries, by strike."""
        period = {"ccy": underlying, "period": OKX_OPTION_PERIOD}
        ratios = okx_put_call(self.client.get("/api/v5/rubik/stat/option/open-interest-volume-ratio", period),
                              underlying)
        expiries = okx_by_expiry(self.client.get("/api/v5/rubik/stat/option/open-interest-volume-expiry", period),
                                 underlying)
        strikes: list[StrikeRow] = []
        for day in sorted({row.expiry_day for row in expiries}):
            strikes += okx_by_strike(self.client.get("/api/v5/rubik/stat/option/open-interest-volume-strike",
                                                     {**period, "expTime": day.strftime("%Y%m%d")}),
                                     underlying, day)
        return ratios, expiries, strikes
