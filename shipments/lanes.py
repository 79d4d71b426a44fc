"""Lanes: the one definition of "parcels that travel alike", and their delivery statistics.

A lane is a shop's carrier x service x destination country (the shop's country is the origin; a
blank service or country is a lane value of its own). The watchlist, analytics and delivery
estimates read lanes from here and never from each other.

Measured in business days (``shops.calendar``) of the destination country with the carrier's
Saturday rule for the service, on the shop's local days; shop closures do not count, as the carrier
works on them:

* transit: from the first carrier scan (a physical event, not "label created") to the delivery;
* scan gap: the longest gap between two consecutive carrier events from that first scan to delivery.

A delivery with no scan before it is counted as delivered without a transit or scan-gap sample.
Each shipment counts once: its ``LaneDelivery`` row (keyed by the shipment) is written in the same
transaction as the increment.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, pairwise
from typing import Literal

from django.db import IntegrityError, transaction

from carriers.types import Status
from shipments.models import LANE_HISTOGRAM_TOP, Direction, LaneDelivery, LaneStats, Shipment, TrackingEvent
from shops.calendar import business_days_between, local_date

# Events that mean the carrier has the parcel in hand; "info received" is only a label.
SCAN_STATUSES = frozenset(
    {
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.AVAILABLE_FOR_PICKUP,
        Status.FAILED_ATTEMPT,
        Status.EXCEPTION,
        Status.DELIVERED,
    }
)

Metric = Literal["transit", "scan_gap"]


@dataclass(frozen=True)
class Lane:
    """One shop's carrier x service x destination country."""

    shop_id: int
    carrier: str
    service: str
    destination_country: str


def lane_for(shipment: Shipment) -> Lane:
    """The lane ``shipment`` travels on (reads its order's shipping country)."""
    return Lane(
        shop_id=shipment.shop_id,
        carrier=shipment.carrier,
        service=shipment.service,
        destination_country=shipment.order.shipping_country.strip().upper(),
    )


def lane_stats_for(lane: Lane) -> LaneStats | None:
    """The statistics row of ``lane``, or None while nothing was delivered on it."""
    return LaneStats.objects.filter(
        shop_id=lane.shop_id,
        carrier=lane.carrier,
        service=lane.service,
        destination_country=lane.destination_country,
    ).first()


def histogram_percentile(histogram: list[int], q: float) -> int | None:
    """The nearest-rank ``q``-quantile (0..1) of a business-day histogram; None when it is empty.

    The last bucket means "that many days or more", so a percentile landing there is a lower bound.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"a percentile is between 0 and 1, not {q}")
    total = sum(histogram)
    if total == 0:
        return None
    # Rounded first: 0.7 * 10 is 7.000000000000001 in floating point, whose ceiling would be 8.
    rank = max(1, math.ceil(round(q * total, 9)))
    return bisect_left(list(accumulate(histogram)), rank)


def lane_percentile(lane: Lane, q: float, *, metric: Metric = "transit") -> int | None:
    """Business days within which a share ``q`` (0..1) of the lane's deliveries arrived (or had their longest gap)."""
    stats = lane_stats_for(lane)
    if stats is None:
        return None
    histogram = stats.transit_histogram if metric == "transit" else stats.scan_gap_histogram
    return histogram_percentile(histogram, q)


def lane_record_delivery(*, shipment: Shipment) -> LaneDelivery | None:
    """Count a delivered outbound shipment in its lane's statistics, once; None when not counted now.

    Not counted: a shipment that is not delivered, a return parcel (its lane is not the order's),
    or one counted before.
    """
    if shipment.status != Status.DELIVERED or shipment.delivered_at is None:
        return None
    if shipment.direction != Direction.OUTBOUND:
        return None
    lane = lane_for(shipment)
    transit_days, scan_gap_days = _measure(shipment, lane)
    with transaction.atomic():
        stats, _ = LaneStats.objects.get_or_create(
            shop_id=lane.shop_id,
            carrier=lane.carrier,
            service=lane.service,
            destination_country=lane.destination_country,
        )
        # Locked, so concurrent deliveries on one lane add up instead of overwriting each other.
        stats = LaneStats.objects.select_for_update().get(pk=stats.pk)
        try:
            with transaction.atomic():
                delivery = LaneDelivery.objects.create(
                    shipment=shipment, lane_stats=stats, transit_days=transit_days, scan_gap_days=scan_gap_days
                )
        except IntegrityError:
            return None  # counted before (or just now by a concurrent call): the shipment is the key
        stats.delivered_count += 1
        if transit_days is not None and scan_gap_days is not None:
            stats.transit_histogram = _bumped(stats.transit_histogram, transit_days)
            stats.scan_gap_histogram = _bumped(stats.scan_gap_histogram, scan_gap_days)
        stats.save(update_fields=["delivered_count", "transit_histogram", "scan_gap_histogram", "updated_at"])
    return delivery


def _measure(shipment: Shipment, lane: Lane) -> tuple[int | None, int | None]:
    delivered_at = shipment.delivered_at
    events = TrackingEvent.objects.filter(shipment=shipment, occurred_at__lte=delivered_at).order_by("occurred_at")
    moments = list(events.values_list("status", "occurred_at"))
    first_scan = next((at for status, at in moments if status in SCAN_STATUSES), None)
    if first_scan is None or first_scan >= delivered_at:
        return None, None
    time_zone = shipment.shop.timezone
    days = [local_date(at, time_zone=time_zone) for _, at in moments if at >= first_scan]
    days.append(local_date(delivered_at, time_zone=time_zone))
    count = partial(business_days_between, country=lane.destination_country, carrier=lane.carrier, service=lane.service)
    transit = count(days[0], days[-1])
    gap = max(count(before, after) for before, after in pairwise(days))
    return transit, gap


def _bumped(histogram: list[int], days: int) -> list[int]:
    bumped = list(histogram)
    bumped[min(days, LANE_HISTOGRAM_TOP)] += 1
    return bumped
