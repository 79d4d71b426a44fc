"""How dates and times are written for customers, per language: our patterns, not a CLDR release's choice.

Babel supplies the month and weekday names; the order, abbreviation and punctuation are fixed here, so a new
Babel/CLDR release cannot change what a page or an email says (Babel 2.19 turned English "Thu, Nov 5" into
"Thu, November 5"). A language without its own row is written the English way.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from functools import cache

from babel import Locale
from babel.dates import format_date, format_datetime

#  kind:          weekday + day,     weekday + short day,  day + month,  full date,       clock
PATTERNS: dict[str, dict[str, str]] = {
    "en": {
        "weekday_day": "EEE, MMM d",
        "weekday_day_short": "EEE, MMM d",
        "day_month": "MMM d",
        "date": "MMMM d, y",
        "time": "h:mm\u202fa",
    },
    "pl": {
        "weekday_day": "EEE, d MMMM",
        "weekday_day_short": "EEE, d MMM",
        "day_month": "d MMM",
        "date": "d MMMM y",
        "time": "HH:mm",
    },
    "de": {
        "weekday_day": "EEE, d. MMMM",
        "weekday_day_short": "EEE, d. MMM",
        "day_month": "d. MMM",
        "date": "d. MMMM y",
        "time": "HH:mm",
    },
    "cs": {
        "weekday_day": "EEE d. MMMM",
        "weekday_day_short": "EEE d. M.",
        "day_month": "d. M.",
        "date": "d. MMMM y",
        "time": "H:mm",
    },
    "sk": {
        "weekday_day": "EEE d. MMMM",
        "weekday_day_short": "EEE d. M.",
        "day_month": "d. M.",
        "date": "d. MMMM y",
        "time": "H:mm",
    },
}


def _pattern(kind: str, language: str) -> tuple[str, Locale]:
    short = (language or "en").split("-")[0].split("_")[0].lower()
    if short not in PATTERNS:
        short = "en"
    return PATTERNS[short][kind], _locale(short)


@cache
def _locale(short: str) -> Locale:
    # Babel parses a locale name on every call it is given one; an email formats several dates.
    return Locale.parse(short)


def _format(kind: str, value: date | datetime, language: str, zone: tzinfo | None) -> str:
    pattern, locale = _pattern(kind, language)
    if isinstance(value, datetime):
        return format_datetime(value, pattern, tzinfo=zone, locale=locale)
    return format_date(value, pattern, locale=locale)


def weekday_day(value: date | datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "Thu, Nov 5" / "czw., 5 listopada": the day of an ETA or a promise."""
    return _format("weekday_day", value, language, zone)


def weekday_day_short(value: date | datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "Thu, Nov 5" / "czw., 5 lis": the day of a scan in a list of events."""
    return _format("weekday_day_short", value, language, zone)


def day_month(value: date | datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "Nov 5" / "5 lis"."""
    return _format("day_month", value, language, zone)


def full_date(value: date | datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "November 5, 2026" / "5 listopada 2026": an expiry or an order date."""
    return _format("date", value, language, zone)


def clock(value: datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "10:15 AM" / "10:15"."""
    pattern, locale = _pattern("time", language)
    return format_datetime(value, pattern, tzinfo=zone, locale=locale)


def moment(value: datetime, *, language: str, zone: tzinfo | None = None) -> str:
    """ "Thu, Nov 5, 10:15 AM" / "czw., 5 lis, 10:15": when a scan happened."""
    return f"{weekday_day_short(value, language=language, zone=zone)}, {clock(value, language=language, zone=zone)}"


def delivery_window(start: datetime, end: datetime, *, language: str, zone: tzinfo) -> str:
    """An ETA in words: a day, a day with a time window, or a range of days, in the given zone."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = weekday_day(local_start, language=language)
    if local_start.date() != local_end.date():
        return f"{day} \u2013 {weekday_day(local_end, language=language)}"
    if local_start.time() == time(0) and local_end.time() in (time(0), time(23, 59), time(23, 59, 59)):
        return day  # a whole day, not a time window
    if local_start == local_end:
        return f"{day}, {clock(local_start, language=language)}"
    return f"{day}, {clock(local_start, language=language)}\u2013{clock(local_end, language=language)}"
