"""What one outbound parcel counts for: its fact, derived from the shipment and ALL its stored events.

Derived from the whole stored history every time, so repeated and out-of-order events give the
same fact as an in-order stream. Lanes come from ``shipments.lanes``, lateness deadlines from
``shipments.lateness`` and business days from ``shops.calendar``.

* pickup: the first physical scan (``shipments.lanes.SCAN_STATUSES``), as the lanes measure transit;
* first attempt: the first moment the customer could have had it (a failed attempt, a pickup point
  holding it, or the delivery); on time means that moment is before the deadline of the reference;
* first-attempt delivery: delivered with no failed attempt before the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from carriers.types import FINAL_STATUSES, Status
from shipments.lanes import SCAN_STATUSES, Lane, lane_for
from shipments.lateness import Against, shipment_late_deadline, shop_zone
from shipments.models import Direction, Shipment, TrackingEvent
from shops.calendar import business_days_between, local_date

ATTEMPT_STATUSES = frozenset({Status.FAILED_ATTEMPT, Status.AVAILABLE_FOR_PICKUP, Status.DELIVERED})
RETURN_STATUSES = frozenset({Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER})


@dataclass(frozen=True)
class Fact:
    """The roll-up contribution of one parcel (mirrors ``analytics.models.ShipmentFact``)."""

    lane: Lane
    shipped_on: date
    delivered_on: date | None
    delivered: bool
    on_time_first_estimate: bool | None
    on_time_promised: bool | None
    first_attempt: bool | None
    order_to_pickup_days: int | None
    pickup_to_delivery_days: int | None
    order_to_delivery_days: int | None
    had_exception: bool
    expired: bool
    returned: bool
    in_flight: bool


def shipment_fact(shipment: Shipment) -> Fact | None:
    """The fact of ``shipment``; None for a return parcel (outbound KPIs never count it)."""
    if shipment.direction != Direction.OUTBOUND:
        return None
    order = shipment.order
    lane = lane_for(shipment)
    zone = shop_zone(shipment.shop)
    moments = list(
        TrackingEvent.objects.filter(shipment=shipment)
        .order_by("occurred_at", "pk")
        .values_list("status", "occurred_at")
    )
    delivered = shipment.status == Status.DELIVERED and shipment.delivered_at is not None
    delivered_at = shipment.delivered_at if delivered else None
    before_delivery = [(status, at) for status, at in moments if delivered_at is None or at <= delivered_at]
    first_scan = next((at for status, at in before_delivery if status in SCAN_STATUSES), None)
    attempt = next((at for status, at in before_delivery if status in ATTEMPT_STATUSES), delivered_at)

    day = partial(local_date, time_zone=str(zone))
    count = partial(business_days_between, country=lane.destination_country, carrier=lane.carrier, service=lane.service)
    ordered_on = day(order.placed_at)
    pickup_on = day(first_scan) if first_scan is not None else None
    delivered_on = day(delivered_at) if delivered_at is not None else None

    def on_time(against: Against) -> bool | None:
        if not delivered or attempt is None:
            return None
        deadline = shipment_late_deadline(shipment, against=against, zone=zone, promised=order.promised_delivery_date)
        return None if deadline is None else attempt < deadline

    return Fact(
        lane=lane,
        shipped_on=ordered_on,
        delivered_on=delivered_on,
        delivered=delivered,
        on_time_first_estimate=on_time(Against.FIRST_ESTIMATE),
        on_time_promised=on_time(Against.PROMISED),
        first_attempt=(
            not any(status == Status.FAILED_ATTEMPT for status, _ in before_delivery) if delivered else None
        ),
        order_to_pickup_days=_non_negative(count(ordered_on, pickup_on)) if pickup_on else None,
        pickup_to_delivery_days=(
            _non_negative(count(pickup_on, delivered_on))
            if pickup_on and delivered_on and first_scan < delivered_at
            else None
        ),
        order_to_delivery_days=_non_negative(count(ordered_on, delivered_on)) if delivered_on else None,
        had_exception=shipment.status == Status.EXCEPTION or any(s == Status.EXCEPTION for s, _ in moments),
        expired=shipment.status == Status.EXPIRED,
        returned=shipment.status in RETURN_STATUSES,
        in_flight=shipment.status not in FINAL_STATUSES and shipment.status not in RETURN_STATUSES,
    )


def _non_negative(days: int) -> int:
    # A scan stamped before the order (a label printed from a pre-order, a clock off) counts as the same day.
    return max(days, 0)
