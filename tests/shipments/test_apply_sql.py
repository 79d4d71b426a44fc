"""The hand-written writes of an apply store what the ORM would: prepared values, auto_now columns, dedupe."""

from datetime import UTC, datetime, timedelta

import pytest

from shipments.apply_sql import shipment_columns_update, status_change_insert, tracking_events_insert
from shipments.models import Shipment, StatusChange, TrackingEvent
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def _row(key: str, *, hour: int = 12, text: str = "Przyjęta w oddziale") -> tuple:
    return (AT.replace(hour=hour), "in_transit", "", "ADOPTED", text, "Warszawa", "poll", True, key)


def test_events_are_stored_once_per_dedupe_key():
    # given a parcel with one stored event
    shipment = ShipmentFactory()
    tracking_events_insert(shipment_id=shipment.pk, rows=[_row("a" * 64)])

    # when the same event comes again beside a new one
    tracking_events_insert(shipment_id=shipment.pk, rows=[_row("a" * 64, text="changed"), _row("b" * 64, hour=14)])

    # then the new one is stored with every column and the repeated one is not stored again nor changed
    events = list(TrackingEvent.objects.filter(shipment=shipment).order_by("pk"))
    assert [(e.dedupe_key[0], e.occurred_at, e.text) for e in events] == [
        ("a", AT, "Przyjęta w oddziale"),
        ("b", AT.replace(hour=14), "Przyjęta w oddziale"),
    ]
    assert (events[1].status, events[1].raw_code, events[1].location, events[1].source, events[1].mapped) == (
        "in_transit",
        "ADOPTED",
        "Warszawa",
        "poll",
        True,
    )
    assert events[1].created_at is not None


def test_a_status_change_is_stored_and_its_id_returned():
    # given a parcel
    shipment = ShipmentFactory()

    # when its status change is inserted
    status_change_id = status_change_insert(
        shipment_id=shipment.pk, from_status="pending", to_status="in_transit", reason="picked_up", occurred_at=AT
    )

    # then the returned id is the stored row's, unprocessed and stamped
    change = StatusChange.objects.get(pk=status_change_id)
    assert (change.shipment_id, change.from_status, change.to_status, change.reason, change.occurred_at) == (
        shipment.pk,
        "pending",
        "in_transit",
        "picked_up",
        AT,
    )
    assert change.processed_at is None
    assert change.created_at is not None


def test_only_the_named_columns_and_updated_at_are_written():
    # given a parcel changed in memory in a named JSON column, a named time and an unnamed column
    shipment = ShipmentFactory(service="")
    stale = Shipment.objects.get(pk=shipment.pk).updated_at
    shipment.pickup_point = {"id": "KRA01M", "city": "Kraków", "latitude": 50.0}
    shipment.next_poll_at = AT + timedelta(hours=2)
    shipment.service = "not written"

    # when the named columns are written
    shipment_columns_update(shipment=shipment, names=["pickup_point", "next_poll_at"])

    # then the database has them, a later updated_at, and the unnamed column as it was
    stored = Shipment.objects.get(pk=shipment.pk)
    assert stored.pickup_point == {"id": "KRA01M", "city": "Kraków", "latitude": 50.0}
    assert stored.next_poll_at == AT + timedelta(hours=2)
    assert stored.updated_at > stale
    assert stored.service == ""
