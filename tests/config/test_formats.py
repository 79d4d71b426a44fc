"""Dates read the way we decided per language, whatever CLDR release Babel ships."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from config import formats

WARSAW = ZoneInfo("Europe/Warsaw")
SCAN = datetime(2026, 11, 5, 9, 15, tzinfo=UTC)  # Thursday 10:15 in Warsaw


@pytest.mark.parametrize(
    ("language", "day", "short_scan", "full"),
    [
        ("en", "Thu, Nov 5", "Thu, Nov 5, 10:15\u202fAM", "November 5, 2026"),
        ("pl", "czw., 5 listopada", "czw., 5 lis, 10:15", "5 listopada 2026"),
        ("de", "Do., 5. November", "Do., 5. Nov., 10:15", "5. November 2026"),
        ("cs", "čt 5. listopadu", "čt 5. 11., 10:15", "5. listopadu 2026"),
        ("sk", "št 5. novembra", "št 5. 11., 10:15", "5. novembra 2026"),
    ],
)
def test_each_language_writes_days_and_times_its_own_way(language, day, short_scan, full):
    assert formats.weekday_day(SCAN, language=language, zone=WARSAW) == day
    assert formats.moment(SCAN, language=language, zone=WARSAW) == short_scan
    assert formats.full_date(date(2026, 11, 5), language=language) == full


def test_an_unknown_language_or_a_regional_tag_falls_back_sensibly():
    assert formats.weekday_day(date(2026, 11, 5), language="fr") == "Thu, Nov 5"
    assert formats.weekday_day(date(2026, 11, 5), language="pl-PL") == "czw., 5 listopada"


def test_a_window_is_a_day_a_day_with_hours_or_two_days():
    def window(start, end, language="en"):
        return formats.delivery_window(start, end, language=language, zone=WARSAW)

    assert window(datetime(2026, 11, 5, 0, 0, tzinfo=WARSAW), datetime(2026, 11, 5, 23, 59, tzinfo=WARSAW)) == (
        "Thu, Nov 5"
    )
    assert window(datetime(2026, 11, 5, 8, 0, tzinfo=WARSAW), datetime(2026, 11, 5, 12, 0, tzinfo=WARSAW), "pl") == (
        "czw., 5 listopada, 08:00\u201312:00"
    )
    assert window(datetime(2026, 11, 6, 9, tzinfo=WARSAW), datetime(2026, 11, 9, 9, tzinfo=WARSAW), "de") == (
        "Fr., 6. November \u2013 Mo., 9. November"
    )
