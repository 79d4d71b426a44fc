"""Builders for tracking-page tests: an order with parcels and events as customers see them."""

from datetime import UTC, datetime, timedelta

from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, TrackingEventFactory

LOCKER = {
    "id": "KRA01M",
    "name": "Paczkomat KRA01M",
    "address": "ul. Długa 12",
    "postcode": "30-001",
    "city": "Kraków",
    "country": "PL",
    "opening_hours": "24/7",
    "latitude": 50.0686,
    "longitude": 19.939,
    "description": "",
}


def order_with_events(*, shop, events: int = 1, **order_fields):
    """An order of ``shop`` with one item and one InPost parcel carrying ``events`` tracking events."""
    order = OrderFactory(shop=shop, **order_fields)
    OrderItemFactory(order=order, name="Kubek ceramiczny", image_url="https://cdn.example.com/mug.jpg")
    shipment = ShipmentFactory(order=order, status="in_transit", status_changed_at=datetime(2026, 11, 3, tzinfo=UTC))
    start = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    for index in range(events):
        TrackingEventFactory(
            shipment=shipment,
            occurred_at=start + timedelta(minutes=index),
            text=f"Przesyłka przyjęta w sortowni {index}",
            location="Warszawa",
        )
    return order
