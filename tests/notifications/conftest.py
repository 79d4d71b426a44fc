"""Fixtures of the notifications tests: a fixed clock, a parcel with a status change, a fake ESP."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from notifications import sending
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, StatusChangeFactory, TrackingEventFactory
from tests.notifications.factories import NotificationSettingsFactory

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_connections(settings):
    # Django's test setup swaps in the locmem backend; our pipeline needs an anymail backend.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    # Connections are kept open per process; tests switch backends, so each starts clean.
    sending._connections.clear()
    mail.outbox = []
    yield
    sending._connections.clear()


@pytest.fixture
def order(shop):
    order = OrderFactory(shop=shop, customer_name="Anna Kowalska", customer_email="anna@example.com")
    OrderItemFactory(order=order, name="Kubek ceramiczny", quantity=2)
    return order


@pytest.fixture
def shipment(order):
    shipment = ShipmentFactory(order=order, status="out_for_delivery")
    TrackingEventFactory(
        shipment=shipment,
        occurred_at=datetime(2026, 11, 4, 7, 0, tzinfo=UTC),
        status="out_for_delivery",
        text="Przesyłka wydana do doręczenia",
        location="Kraków",
    )
    return shipment


@pytest.fixture
def settings_row(shop):
    return NotificationSettingsFactory(shop=shop, settle_seconds=0)


def make_change(shipment, to_status="out_for_delivery", from_status="in_transit", occurred_at=None):
    """A status change of ``shipment`` that is not its first (an earlier, processed one precedes it)."""
    if not shipment.status_changes.exists():
        earlier = datetime(2026, 11, 3, tzinfo=UTC)
        StatusChangeFactory(
            shipment=shipment, from_status="pending", to_status="in_transit", occurred_at=earlier, processed_at=earlier
        )
    return StatusChangeFactory(
        shipment=shipment, from_status=from_status, to_status=to_status, occurred_at=occurred_at or NOW
    )
