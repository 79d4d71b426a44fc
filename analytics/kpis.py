"""Delivery KPIs read from the daily roll-ups: the one computation behind the admin page, its CSV and the API.

Rows are the parcels *shipped* (order placed) in each week or month, optionally split by carrier or
by lane (carrier x service x destination country). Rates are fractions (None when nothing to divide);
durations are business-day percentiles (nearest rank) of the summed histograms, so they are exact
whatever the grouping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from analytics.models import DailyRollup, empty_histogram
from analytics.rollups import COHORT_COUNTS, DURATIONS
from shipments.lanes import histogram_percentile
from shops.models import Shop

MAX_RANGE_DAYS = 3 * 366


class Grouping(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Split(StrEnum):
    NONE = "none"
    CARRIER = "carrier"
    LANE = "lane"


@dataclass
class Totals:
    """Summed roll-up counters and histograms of some rows."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COHORT_COUNTS, 0))
    histograms: dict[str, list[int]] = field(default_factory=lambda: {name: empty_histogram() for name in DURATIONS})

    def add(self, row: DailyRollup) -> None:
        for name in self.counts:
            self.counts[name] += getattr(row, name)
        for name, histogram in self.histograms.items():
            for bucket, count in enumerate(getattr(row, name)):
                histogram[bucket] += count


@dataclass(frozen=True)
class KpiRow:
    """The KPIs of one period (and carrier or lane, when split)."""

    period: date
    carrier: str
    service: str
    destination_country: str
    shipped: int
    delivered: int
    delivered_rate: float | None
    on_time_first_estimate_rate: float | None
    on_time_promised_rate: float | None
    first_attempt_rate: float | None
    exception_rate: float | None
    expired_rate: float | None
    return_rate: float | None
    order_to_pickup_p50: int | None
    order_to_pickup_p90: int | None
    pickup_to_delivery_p50: int | None
    pickup_to_delivery_p90: int | None
    order_to_delivery_p50: int | None
    order_to_delivery_p90: int | None


KPI_FIELDS = tuple(KpiRow.__dataclass_fields__)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def kpi_row(totals: Totals, *, period: date, carrier: str = "", service: str = "", country: str = "") -> KpiRow:
    """The KPIs of summed ``totals``."""
    counts, histograms = totals.counts, totals.histograms
    shipped, delivered = counts["shipped"], counts["delivered"]
    percentiles = {
        f"{name}_p{round(q * 100)}": histogram_percentile(histograms[name], q) for name in DURATIONS for q in (0.5, 0.9)
    }
    return KpiRow(
        period=period,
        carrier=carrier,
        service=service,
        destination_country=country,
        shipped=shipped,
        delivered=delivered,
        delivered_rate=_rate(delivered, shipped),
        on_time_first_estimate_rate=_rate(counts["on_time_first_estimate"], counts["first_estimate_known"]),
        on_time_promised_rate=_rate(counts["on_time_promised"], counts["promised_known"]),
        first_attempt_rate=_rate(counts["first_attempt"], delivered),
        exception_rate=_rate(counts["exceptions"], shipped),
        expired_rate=_rate(counts["expired"], shipped),
        return_rate=_rate(counts["returned"], shipped),
        **percentiles,
    )


def period_start(day: date, grouping: Grouping) -> date:
    """The first day of ``day``'s week (Monday) or month."""
    if grouping == Grouping.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def rollups_of(*, shop: Shop, start: date, end: date, carrier: str = "", country: str = "") -> Iterable[DailyRollup]:
    """``shop``'s roll-up rows of days ``start``..``end`` (inclusive), optionally one carrier's or country's."""
    if end < start:
        raise ValueError("the range ends before it starts")
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValueError(f"a range of at most {MAX_RANGE_DAYS} days")
    rows = DailyRollup.objects.filter(shop=shop, day__gte=start, day__lte=end)
    if carrier:
        rows = rows.filter(carrier=carrier)
    if country:
        rows = rows.filter(destination_country=country.upper())
    return rows.iterator(chunk_size=2000)


def delivery_kpis(
    *,
    shop: Shop,
    start: date,
    end: date,
    grouping: Grouping = Grouping.WEEK,
    split: Split = Split.NONE,
    carrier: str = "",
    country: str = "",
) -> list[KpiRow]:
    """``shop``'s KPIs per period of parcels shipped ``start``..``end``, split as asked, in period order."""
    totals: dict[tuple[date, str, str, str], Totals] = {}
    for row in rollups_of(shop=shop, start=start, end=end, carrier=carrier, country=country):
        if row.shipped == 0:
            continue  # a row of deliveries only: its parcels shipped on another day
        lane = {
            Split.NONE: ("", "", ""),
            Split.CARRIER: (row.carrier, "", ""),
            Split.LANE: (row.carrier, row.service, row.destination_country),
        }[split]
        totals.setdefault((period_start(row.day, grouping), *lane), Totals()).add(row)
    return [
        kpi_row(total, period=period, carrier=carrier_, service=service, country=country_)
        for (period, carrier_, service, country_), total in sorted(totals.items())
    ]


def delivery_totals(*, shop: Shop, start: date, end: date, carrier: str = "", country: str = "") -> KpiRow:
    """One row of KPIs over the whole range (the page's headline figures)."""
    total = Totals()
    for row in rollups_of(shop=shop, start=start, end=end, carrier=carrier, country=country):
        total.add(row)
    return kpi_row(total, period=start, carrier=carrier, country=country.upper())


def shop_carriers(*, shop: Shop) -> list[str]:
    """The carriers ``shop``'s roll-ups know, for filter choices."""
    return sorted(set(DailyRollup.objects.filter(shop=shop).values_list("carrier", flat=True)))


def shop_countries(*, shop: Shop) -> list[str]:
    """The destination countries ``shop``'s roll-ups know, for filter choices."""
    return sorted(set(DailyRollup.objects.filter(shop=shop).values_list("destination_country", flat=True)))
