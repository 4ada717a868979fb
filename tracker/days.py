"""UTC calendar days: parsing user input and the instants a day starts and ends (no heavy imports)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tracker.errors import TrackerError


def parse_day(text: str, flag: str) -> date:
    """A UTC calendar day from YYYY-MM-DD, or a one-line error naming the flag."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise TrackerError(f"invalid {flag} {text!r}: expected a date as YYYY-MM-DD") from None


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))
