"""How good the learned estimates were: of the parcels delivered in a range that got one at their first
scan, the share delivered by "latest", the mean absolute error of "likely" and the mean window width,
in business days of each parcel's lane calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analytics.models import EstimateRecord
from shops.calendar import business_days_between
from shops.models import Shop


@dataclass(frozen=True)
class EstimateAccuracy:
    delivered: int
    by_latest_rate: float | None
    mean_error_days: float | None
    mean_window_days: float | None


def estimate_accuracy(*, shop: Shop, start: date, end: date) -> EstimateAccuracy:
    """Accuracy of ``shop``'s learned estimates for parcels delivered ``start``..``end``."""
    records = EstimateRecord.objects.filter(
        shop=shop,
        shipment__fact__delivered=True,
        shipment__fact__delivered_on__gte=start,
        shipment__fact__delivered_on__lte=end,
    ).values_list(
        "earliest",
        "likely",
        "latest",
        "shipment__fact__delivered_on",
        "shipment__fact__destination_country",
        "shipment__carrier",
        "shipment__service",
    )
    count = by_latest = error = window = 0
    for earliest, likely, latest, delivered_on, country, carrier, service in records.iterator(chunk_size=2000):
        calendar = {"country": country, "carrier": carrier, "service": service}
        count += 1
        by_latest += delivered_on <= latest
        error += abs(business_days_between(likely, delivered_on, **calendar))
        window += business_days_between(earliest, latest, **calendar)
    if not count:
        return EstimateAccuracy(0, None, None, None)
    return EstimateAccuracy(count, round(by_latest / count, 4), round(error / count, 2), round(window / count, 2))
