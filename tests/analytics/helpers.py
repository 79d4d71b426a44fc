"""Generated parcel histories for the analytics tests: known journeys replayed through the apply service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine

from analytics.rollups import shipment_rollup_refresh
from carriers.types import Status, TrackingEvent, TrackingResult
from shipments.models import Shipment
from shipments.tracking import shipment_apply_result
from shops.calendar import add_business_days
from tests.factories import OrderFactory, ShipmentFactory

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=WARSAW)


def parcel(shop, *, placed: datetime, carrier: str = "dpd", country: str = "PL", **order) -> Shipment:
    """A new outbound parcel whose order was placed at ``placed``."""
    with time_machine.travel(placed, tick=False):
        return ShipmentFactory(
            order=OrderFactory(shop=shop, shipping_country=country, placed_at=placed, **order), carrier=carrier
        )


def report(shipment: Shipment, events: Sequence[tuple[Status, datetime]], **result) -> None:
    """The carrier reports ``events`` (in the given order) in one answer, applied at the newest one's time."""
    outcome = TrackingResult(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        events=tuple(
            TrackingEvent(occurred_at=at, status=status, reason="", raw_code=f"{status}-{at:%j%H}", text=str(status))
            for status, at in events
        ),
        **result,
    )
    now = max(at for _, at in events)
    with time_machine.travel(now, tick=False):
        shipment_apply_result(shipment_id=shipment.pk, outcome=outcome, source="push", now=now)


def journey(
    shop,
    *,
    placed_on: date,
    pickup_after: int,
    transit: int,
    carrier: str = "dpd",
    country: str = "PL",
    failed_first: bool = False,
    first_eta: date | None = None,
    refresh: bool = True,
    **order,
) -> Shipment:
    """A parcel picked up ``pickup_after`` business days after the order and delivered ``transit`` business days later."""
    shipment = parcel(shop, placed=warsaw(placed_on, 9), carrier=carrier, country=country, **order)
    count = {"country": country, "carrier": carrier}
    pickup_day = add_business_days(placed_on, pickup_after, **count)
    delivered_day = add_business_days(pickup_day, transit, **count)
    events = [(Status.INFO_RECEIVED, warsaw(placed_on, 10)), (Status.IN_TRANSIT, warsaw(pickup_day, 18))]
    if failed_first:
        events.append((Status.FAILED_ATTEMPT, warsaw(delivered_day, 11) - timedelta(days=0, hours=1)))
    events.append((Status.DELIVERED, warsaw(delivered_day, 12)))
    first = [(Status.INFO_RECEIVED, warsaw(placed_on, 10))]
    # The first answer carries the first estimate (a date-only window end: that whole day).
    report(shipment, first, eta_to=warsaw(first_eta, 0) if first_eta else None)
    report(shipment, events)
    if refresh:
        shipment_rollup_refresh(shipment_id=shipment.pk)
    return shipment
