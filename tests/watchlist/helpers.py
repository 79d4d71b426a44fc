"""Replaying a parcel's history through the apply service with the clock moved, for the watchlist tests."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from carriers.types import Status, TrackingEvent, TrackingResult
from shipments.models import Shipment
from shipments.tracking import shipment_apply_result
from tests.factories import OrderFactory, ShipmentFactory
from watchlist.services import WatchOutcome, shipment_watch_evaluate

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def parcel(*, at: datetime, carrier: str = "dpd", service: str = "", country: str = "PL", **order) -> Shipment:
    """A new outbound parcel registered at ``at`` (its order placed then too)."""
    with time_machine.travel(at, tick=False):
        placed = order.pop("placed_at", at)
        return ShipmentFactory(
            order=OrderFactory(shipping_country=country, placed_at=placed, **order), carrier=carrier, service=service
        )


def scan(shipment: Shipment, status: Status, at: datetime, *, reason: str = "", **result) -> None:
    """The carrier reports one event at ``at``; applied then (by push)."""
    event = TrackingEvent(occurred_at=at, status=status, reason=reason, raw_code=f"{status}-{reason}", text=str(status))
    outcome = TrackingResult(
        carrier=shipment.carrier, tracking_number=shipment.tracking_number, events=(event,), **result
    )
    with time_machine.travel(at, tick=False):
        shipment_apply_result(shipment_id=shipment.pk, outcome=outcome, source="push", now=at)


def look(shipment: Shipment, at: datetime) -> WatchOutcome:
    """The watchlist evaluates ``shipment`` with the clock at ``at``."""
    with time_machine.travel(at, tick=False):
        return shipment_watch_evaluate(shipment=shipment)


def opened_types(outcome: WatchOutcome) -> list[str]:
    return sorted(incident.incident_type for incident in outcome.opened)


def resolved_types(outcome: WatchOutcome) -> list[str]:
    return sorted(incident.incident_type for incident in outcome.resolved)
