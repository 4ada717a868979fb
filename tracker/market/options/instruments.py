"""Option instrument names of every venue, parsed in this one place (pure, no IO).

Deribit `BTC-27DEC26-90000-C` (day without a leading zero: `BTC-2JAN26-…`; a decimal strike writes its point
as `d`: `XRP_USDC-…-0d625-C`), Bybit the same plus a settlement suffix on newer listings
(`BTC-27DEC26-90000-C-USDT`), OKX `BTC-USD-261227-90000-C`. A name gives the day of expiry; the time comes from
the venue's instrument list, else 08:00 UTC of that day (when the three venues settle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

from tracker.errors import BadResponse

UNDERLYINGS = ("BTC", "ETH")
SETTLEMENT_TIME = time(8, 0, tzinfo=timezone.utc)  # the fallback when a venue's instrument list gives no time

_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})([A-Z]{3})(\d{2})$")
_YYMMDD = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_STRIKE = re.compile(r"^\d+(?:[.d]\d+)?$")
_TYPES = {"C": "call", "P": "put"}
_BYBIT_SUFFIXES = ("USDT", "USDC")


@dataclass(frozen=True)
class OptionName:
    underlying: str
    expiry_day: date
    strike: Decimal
    option_type: str  # call | put

    @property
    def settlement(self) -> datetime:
        """08:00 UTC of the expiry day: used only when the venue's instrument list gives no expiry time."""
        return datetime.combine(self.expiry_day, SETTLEMENT_TIME)


def _refuse(venue: str, name: str, why: str) -> BadResponse:
    return BadResponse(f"{venue} option {name!r}: {why}")


def _day(venue: str, name: str, year: int, month: int, day: int) -> date:
    try:
        return date(2000 + year, month, day)
    except ValueError:
        raise _refuse(venue, name, "expiry is not a calendar day") from None


def _strike(venue: str, name: str, text: str) -> Decimal:
    if not _STRIKE.match(text):
        raise _refuse(venue, name, f"strike {text!r} is not a number")
    try:
        value = Decimal(text.replace("d", "."))
    except InvalidOperation:
        raise _refuse(venue, name, f"strike {text!r} is not a number") from None
    if value <= 0:
        raise _refuse(venue, name, "strike is not positive")
    return value


def _type(venue: str, name: str, text: str) -> str:
    if text not in _TYPES:
        raise _refuse(venue, name, f"type {text!r} is neither C nor P")
    return _TYPES[text]


def _underlying(venue: str, name: str, text: str) -> str:
    if not text.isalnum() or not text.isupper():
        raise _refuse(venue, name, f"underlying {text!r} is not a base asset")
    return text


def parse_deribit(name: str, venue: str = "Deribit") -> OptionName:
    """`BTC-27DEC26-90000-C`; a USDC-settled linear name `XRP_USDC-…` gives its base asset."""
    parts = name.split("-")
    if len(parts) != 4:
        raise _refuse(venue, name, "expected UNDERLYING-DMMMYY-STRIKE-C|P")
    head, expiry, strike, kind = parts
    matched = _DAY_MONTH_YEAR.match(expiry)
    if not matched or matched.group(2) not in _MONTHS:
        raise _refuse(venue, name, f"expiry {expiry!r} is not like 27DEC26")
    day = _day(venue, name, int(matched.group(3)), _MONTHS[matched.group(2)], int(matched.group(1)))
    return OptionName(_underlying(venue, name, head.split("_")[0]), day, _strike(venue, name, strike),
                      _type(venue, name, kind))


def parse_bybit(name: str) -> OptionName:
    """Deribit's form, with or without the settlement coin Bybit appends to newer listings (`-USDT`)."""
    parts = name.split("-")
    if len(parts) == 5 and parts[4] in _BYBIT_SUFFIXES:
        name_without = "-".join(parts[:4])
        try:
            return parse_deribit(name_without, "Bybit")
        except BadResponse as error:
            raise _refuse("Bybit", name, str(error).split(": ", 1)[1]) from None
    return parse_deribit(name, "Bybit")


def parse_okx(name: str) -> OptionName:
    """`BTC-USD-261227-90000-C`: underlying, quote, YYMMDD, strike, type."""
    parts = name.split("-")
    if len(parts) != 5:
        raise _refuse("OKX", name, "expected UNDERLYING-QUOTE-YYMMDD-STRIKE-C|P")
    head, _quote, expiry, strike, kind = parts
    matched = _YYMMDD.match(expiry)
    if not matched:
        raise _refuse("OKX", name, f"expiry {expiry!r} is not YYMMDD")
    year, month, day = (int(group) for group in matched.groups())
    if "d" in strike:
        raise _refuse("OKX", name, f"strike {strike!r} is not a number")
    return OptionName(_underlying("OKX", name, head), _day("OKX", name, year, month, day),
                      _strike("OKX", name, strike), _type("OKX", name, kind))


PARSERS = {"deribit": parse_deribit, "bybit": parse_bybit, "okx": parse_okx}
_TITLES = {"deribit": "Deribit", "bybit": "Bybit", "okx": "OKX"}


def parse(venue: str, name: str, underlying: str | None = None) -> OptionName:
    """`name` as `venue` writes it; with `underlying`, an option of another underlying is refused."""
    parsed = PARSERS[venue](name)
    if underlying is not None and parsed.underlying != underlying:
        raise BadResponse(f"{_TITLES[venue]}: {name} is not a {underlying} option")
    return parsed
