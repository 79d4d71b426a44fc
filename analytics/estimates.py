"""Learned delivery estimates: earliest / likely / latest delivery day of an open parcel from its lane's
history of transit times in business days (``shipments.lanes``), when the carrier gives no ETA.

* the carrier's own ETA wins (source ``carrier``); without one, a lane with at least
  ``ANALYTICS_ESTIMATE_MIN_SAMPLES`` measured deliveries gives the learned window (``learned``); else
  the shop's promised day (``promised``); else nothing;
* the window counts from the first scan (from today before it) and is re-estimated on each look:
  the lane's transit times are conditioned on the business days already passed without delivery,
  so a late parcel's window moves forward and never lies in the past;
* earliest / likely / latest are the lane's ``EARLIEST_Q`` / 0.5 / ``LATEST_Q`` quantiles (nearest rank).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min

from analytics.models import EstimateRecord
from carriers.types import FINAL_STATUSES, Status
from shipments.lanes import SCAN_STATUSES, histogram_percentile, lane_for, lane_stats_for
from shipments.lateness import shop_zone
from shipments.models import Direction, LaneStats, Shipment, TrackingEvent
from shops.calendar import add_business_days, business_days_between, is_business_day, local_date
from shops.models import Shop

EARLIEST_Q = 0.2
LIKELY_Q = 0.5
LATEST_Q = 0.9


@dataclass(frozen=True)
class DeliveryEstimate:
    """An expected delivery window in local days, where it came from, and how many deliveries taught it."""

    earliest: date
    likely: date
    latest: date
    source: str  # "carrier", "learned" or "promised"
    samples: int = 0


def window_from_histogram(
    histogram: list[int], *, start: date, today: date, country: str, carrier: str, service: str = ""
) -> tuple[date, date, date] | None:
    """The (earliest, likely, latest) days of a transit-time histogram counted from ``start``, conditioned on
    the business days already passed by ``today`` without delivery; None when the histogram is empty."""
    calendar = {"country": country, "carrier": carrier, "service": service}
    passed = max(business_days_between(start, today, **calendar), 0)
    # Deliveries that took at least the days already passed: what is still possible for this parcel.
    remaining = [0] * passed + histogram[passed:]
    if sum(remaining) == 0:
        remaining = [0] * passed + [1]  # longer than any delivery seen: the next business day is all we know
    days = [histogram_percentile(remaining, q) for q in (EARLIEST_Q, LIKELY_Q, LATEST_Q)]
    earliest, likely, latest = (add_business_days(start, n, **calendar) for n in days)  # type: ignore[arg-type]
    floor = today if is_business_day(today, **calendar) else add_business_days(today, 1, **calendar)
    return max(earliest, floor), max(likely, floor), max(latest, floor)


def first_scan_at(shipment: Shipment) -> datetime | None:
    """When the carrier first had the parcel in hand (the lanes' start of transit)."""
    return (
        shipment.events.filter(status__in=[status.value for status in SCAN_STATUSES])
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def learned_estimate(shipment: Shipment, *, now: datetime) -> DeliveryEstimate | None:
    """The lane-learned window of an open outbound parcel, or None (return parcel, final, too few samples)."""
    if shipment.direction != Direction.OUTBOUND or shipment.status in FINAL_STATUSES:
        return None
    if shipment.status == Status.RETURNING_TO_SENDER:
        return None
    lane = lane_for(shipment)
    stats = lane_stats_for(lane)
    histogram = stats.transit_histogram if stats is not None else []
    samples = sum(histogram)
    if samples < settings.ANALYTICS_ESTIMATE_MIN_SAMPLES:
        return None
    day = partial(local_date, time_zone=str(shop_zone(shipment.shop)))
    today = day(now)
    scanned = first_scan_at(shipment)
    window = window_from_histogram(
        histogram,
        start=day(scanned) if scanned is not None else today,
        today=today,
        country=lane.destination_country,
        carrier=lane.carrier,
        service=lane.service,
    )
    if window is None:
        return None
    return DeliveryEstimate(*window, source="learned", samples=samples)


def delivery_estimate(shipment: Shipment, *, now: datetime, promised: date | None = None) -> DeliveryEstimate | None:
    """What to tell the customer: the carrier's ETA, else the learned window, else the promised day (never past)."""
    zone = shop_zone(shipment.shop)
    if shipment.eta_from or shipment.eta_to:
        start, end = shipment.eta_from or shipment.eta_to, shipment.eta_to or shipment.eta_from
        first, last = start.astimezone(zone).date(), end.astimezone(zone).date()  # type: ignore[union-attr]
        return DeliveryEstimate(first, first, last, source="carrier")
    learned = learned_estimate(shipment, now=now)
    if learned is not None:
        return learned
    today = now.astimezone(zone).date()
    if promised is not None and promised >= today and shipment.direction == Direction.OUTBOUND:
        return DeliveryEstimate(promised, promised, promised, source="promised")
    return None


def estimate_record(*, shipment: Shipment, now: datetime) -> EstimateRecord | None:
    """Keep the learned estimate a parcel gets at its first scan (once), to measure accuracy on delivery."""
    if EstimateRecord.objects.filter(pk=shipment.pk).exists() or first_scan_at(shipment) is None:
        return None
    estimate = learned_estimate(shipment, now=now)
    if estimate is None:
        return None
    try:
        with transaction.atomic():
            return EstimateRecord.objects.create(
                shipment=shipment,
                shop_id=shipment.shop_id,
                made_on=now.astimezone(shop_zone(shipment.shop)).date(),
                earliest=estimate.earliest,
                likely=estimate.likely,
                latest=estimate.latest,
                samples=estimate.samples,
            )
    except IntegrityError:
        return None  # recorded by a concurrent refresh


def email_estimate_windows(shipments: list[Shipment], now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """The learned windows as date-only moments (local midnights) for emails, per shipment id of those learned."""
    by_id = {shipment.pk: shipment for shipment in shipments}
    windows = {}
    for shipment_id, (earliest, latest) in learned_windows_for(shipments, now=now).items():
        zone = shop_zone(by_id[shipment_id].shop)
        windows[shipment_id] = (
            datetime.combine(earliest, time(0), tzinfo=zone),
            datetime.combine(latest, time(0), tzinfo=zone),
        )
    return windows


def learned_windows_for(shipments: list[Shipment], *, now: datetime) -> dict[int, tuple[date, date]]:
    """Per shipment id, the learned (earliest, latest) window of those the carrier gave no ETA: a page's
    parcels in two queries (their shop's lanes, their first scans), whatever their number."""
    open_parcels = [
        shipment
        for shipment in shipments
        if shipment.direction == Direction.OUTBOUND
        and not (shipment.eta_from or shipment.eta_to)
        and shipment.status not in FINAL_STATUSES
        and shipment.status != Status.RETURNING_TO_SENDER
    ]
    if not open_parcels:
        return {}
    shop_ids = {shipment.shop_id for shipment in open_parcels}
    zones = {shop.pk: str(shop_zone(shop)) for shop in Shop.objects.filter(pk__in=shop_ids)}
    lanes = {
        (stats.shop_id, stats.carrier, stats.service, stats.destination_country): stats.transit_histogram
        for stats in LaneStats.objects.filter(shop_id__in=shop_ids)
    }
    first_scans = dict(
        TrackingEvent.objects.filter(shipment__in=open_parcels, status__in=[status.value for status in SCAN_STATUSES])
        .values("shipment_id")
        .annotate(first=Min("occurred_at"))
        .values_list("shipment_id", "first")
    )
    windows = {}
    for shipment in open_parcels:
        lane = lane_for(shipment)
        histogram = lanes.get((lane.shop_id, lane.carrier, lane.service, lane.destination_country)) or []
        if sum(histogram) < settings.ANALYTICS_ESTIMATE_MIN_SAMPLES:
            continue
        day = partial(local_date, time_zone=zones[shipment.shop_id])
        today = day(now)
        scanned = first_scans.get(shipment.pk)
        window = window_from_histogram(
            histogram,
            start=day(scanned) if scanned is not None else today,
            today=today,
            country=lane.destination_country,
            carrier=lane.carrier,
            service=lane.service,
        )
        if window is not None:
            windows[shipment.pk] = (window[0], window[2])
    return windows
