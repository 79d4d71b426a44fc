"""The business-day calendar: the one place that says whether a day is a working day.

A day is a business day for a country when it is not a Sunday, not a public holiday of that country
(from the ``holidays`` package; national holidays only, no regional ones), not a Saturday unless the
carrier works Saturdays on that service, and not inside one of the shop's closures when a shop is
given. Quiet hours, return windows, the watchlist, lanes and analytics all count through here.

Counting: ``business_days_between(start, end)`` counts the business days ``d`` with
``start < d <= end`` (the days that "passed"): Friday to the next Monday is 1, a day to itself is 0,
and ``start > end`` gives the negative of the count the other way round. ``add_business_days(day, n)``
is its inverse for ``n >= 0``: ``business_days_between(day, add_business_days(day, n)) == n``.

A country ``holidays`` does not know (or a blank one) has weekends only; that is logged once per
country per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from shops.models import Shop, ShopClosure

logger = logging.getLogger(__name__)

SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class SaturdayRule:
    """Whether a carrier delivers and scans on Saturdays: a default and per-service exceptions.

    ``services`` maps a service prefix (lower case, as the carrier's tracking reports it) to the
    answer for that service; the longest matching prefix wins.
    """

    default: bool
    services: dict[str, bool] = field(default_factory=dict)

    def works_saturdays(self, service: str) -> bool:
        service = service.strip().lower()
        matches = [prefix for prefix in self.services if service.startswith(prefix)]
        return self.services[max(matches, key=len)] if matches else self.default


# Saturday work as a regular part of the service, not a paid extra or a seasonal campaign (Poczta
# Polska's pre-Christmas weekend rounds, DPD/DHL/UPS/FedEx/GLS "Saturday delivery" options). InPost
# fills its lockers on Saturdays; its courier service works Monday to Friday. DHL Paket delivers
# Monday to Saturday in Germany. A carrier not listed here does not work Saturdays.
SATURDAY_RULES: dict[str, SaturdayRule] = {
    "inpost": SaturdayRule(default=True, services={"inpost_courier": False}),
    "dhl": SaturdayRule(default=False, services={"parcel-de": True}),
    "poczta_polska": SaturdayRule(default=False),
    "dpd": SaturdayRule(default=False),
    "gls": SaturdayRule(default=False),
    "ups": SaturdayRule(default=False),
    "fedex": SaturdayRule(default=False),
    "packeta": SaturdayRule(default=False),
    "orlen": SaturdayRule(default=False),
}


def carrier_works_saturdays(*, carrier: str | None, service: str = "") -> bool:
    """True when ``carrier`` (a carrier code) delivers and scans on Saturdays for ``service``."""
    rule = SATURDAY_RULES.get((carrier or "").strip().lower())
    return rule is not None and rule.works_saturdays(service)


def _normalized(country: str) -> str:
    return (country or "").strip().upper()


@cache
def _country_known(country: str) -> bool:
    # Cached, so an unknown country is logged once per process.
    known = country in holidays.list_supported_countries()
    if not known:
        logger.warning("no public holidays known for country %r: counting weekends only", country)
    return known


@lru_cache(maxsize=1024)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The national public holidays of ``country`` (ISO 3166-1 alpha-2) in ``year``; empty if unknown."""
    country = _normalized(country)
    if not _country_known(country):
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True)
class _Rules:
    """What makes a day a non-business day for one question; built once per call."""

    country: str
    saturdays: bool
    closed: frozenset[date]

    def is_business_day(self, day: date) -> bool:
        weekday = day.weekday()
        if weekday == SUNDAY or (weekday == SATURDAY and not self.saturdays):
            return False
        return day not in public_holidays(self.country, day.year) and day not in self.closed


def _rules(*, country: str, carrier: str | None, service: str, shop: Shop | None, first: date, last: date) -> _Rules:
    return _Rules(
        country=_normalized(country),
        saturdays=carrier_works_saturdays(carrier=carrier, service=service),
        closed=shop_closed_days(shop=shop, first=first, last=last) if shop is not None else frozenset(),
    )


def shop_closed_days(*, shop: Shop, first: date, last: date) -> frozenset[date]:
    """The days between ``first`` and ``last`` (inclusive) on which ``shop`` is closed."""
    closed: set[date] = set()
    closures = ShopClosure.objects.filter(shop=shop, starts_on__lte=last, ends_on__gte=first)
    for starts_on, ends_on in closures.values_list("starts_on", "ends_on"):
        day = max(starts_on, first)
        while day <= min(ends_on, last):
            closed.add(day)
            day += timedelta(days=1)
    return frozenset(closed)


def is_business_day(
    day: date, *, country: str, carrier: str | None = None, service: str = "", shop: Shop | None = None
) -> bool:
    """True when ``day`` is a working day in ``country`` for ``carrier``'s service and ``shop``."""
    rules = _rules(country=country, carrier=carrier, service=service, shop=shop, first=day, last=day)
    return rules.is_business_day(day)


def business_days_between(
    start: date, end: date, *, country: str, carrier: str | None = None, service: str = "", shop: Shop | None = None
) -> int:
    """Business days ``d`` with ``start < d <= end``; negative when ``start > end`` (see the module doc)."""
    if start > end:
        return -business_days_between(end, start, country=country, carrier=carrier, service=service, shop=shop)
    rules = _rules(country=country, carrier=carrier, service=service, shop=shop, first=start, last=end)
    return sum(1 for offset in range(1, (end - start).days + 1) if rules.is_business_day(start + timedelta(offset)))


# A shop closed for longer than this has no "next business day" worth computing.
MAX_SEARCH_DAYS = 3660


def add_business_days(
    day: date, n: int, *, country: str, carrier: str | None = None, service: str = "", shop: Shop | None = None
) -> date:
    """The ``n``-th business day after ``day`` (before it when ``n < 0``); ``day`` itself when ``n == 0``."""
    if n == 0:
        return day
    step = timedelta(days=1 if n > 0 else -1)
    window = timedelta(days=MAX_SEARCH_DAYS)
    first, last = (day, day + window) if n > 0 else (day - window, day)
    rules = _rules(country=country, carrier=carrier, service=service, shop=shop, first=first, last=last)
    remaining, current = abs(n), day
    while remaining:
        current += step
        if not first <= current <= last:
            raise ValueError(f"no {abs(n)} business days within {MAX_SEARCH_DAYS} days of {day}")
        if rules.is_business_day(current):
            remaining -= 1
    return current


def _zone(*, shop: Shop | None, time_zone: str | None) -> ZoneInfo:
    return ZoneInfo(time_zone or (shop.timezone if shop is not None else settings.TIME_ZONE))


def local_date(moment: datetime, *, shop: Shop | None = None, time_zone: str | None = None) -> date:
    """The calendar day of ``moment`` in ``time_zone``, else the shop's time zone, else the site's."""
    return moment.astimezone(_zone(shop=shop, time_zone=time_zone)).date()


def business_days_between_moments(
    start: datetime,
    end: datetime,
    *,
    country: str,
    carrier: str | None = None,
    service: str = "",
    shop: Shop | None = None,
    time_zone: str | None = None,
) -> int:
    """``business_days_between`` of the two moments' local days (time zone as in ``local_date``)."""
    return business_days_between(
        local_date(start, shop=shop, time_zone=time_zone),
        local_date(end, shop=shop, time_zone=time_zone),
        country=country,
        carrier=carrier,
        service=service,
        shop=shop,
    )


def add_business_days_to_moment(
    moment: datetime,
    n: int,
    *,
    country: str,
    carrier: str | None = None,
    service: str = "",
    shop: Shop | None = None,
    time_zone: str | None = None,
) -> datetime:
    """The same local wall-clock time ``n`` business days after ``moment``'s local day."""
    zone = _zone(shop=shop, time_zone=time_zone)
    local = moment.astimezone(zone)
    target = add_business_days(local.date(), n, country=country, carrier=carrier, service=service, shop=shop)
    return datetime.combine(target, local.timetz().replace(tzinfo=None), tzinfo=zone)
