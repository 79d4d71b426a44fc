"""Sample orders for the admin's live preview: unsaved, in-memory, never touching real customers."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from campaigns.placements import Banner, DiscountOffer, Placements, ProductCard
from carriers.types import Status
from shipments.models import Direction, Order, OrderItem, Shipment, TrackingEvent
from shops.models import Shop
from tracking_portal.presenters import OrderPage, carrier_tracking_url, order_page_build

SCENARIOS = {
    "split": "Split order: locker pickup + courier",
    "late": "Late parcel",
    "delivered": "Delivered, with feedback and discount",
    "return": "Return on its way back",
    "problem": "Failed delivery attempt",
}

_LOCKER = {
    "id": "KRA01M",
    "name": "Paczkomat KRA01M",
    "address": "ul. Długa 12",
    "postcode": "30-001",
    "city": "Kraków",
    "country": "PL",
    "opening_hours": "24/7",
    "latitude": 50.0686,
    "longitude": 19.9390,
    "description": "Przy wejściu do sklepu Żabka",
}


def _event(shipment: Shipment, when: datetime, status: str, text: str, location: str) -> TrackingEvent:
    return TrackingEvent(shipment=shipment, occurred_at=when, status=status, text=text, location=location)


def _shipment(carrier: str, number: str, status: str, **fields: object) -> Shipment:
    return Shipment(carrier=carrier, tracking_number=number, status=status, **fields)


def _scenario_shipments(scenario: str, now: datetime) -> list[tuple[Shipment, list[TrackingEvent]]]:
    day = timedelta(days=1)
    if scenario == "late":
        courier = _shipment("dpd", "0000123456789U", Status.IN_TRANSIT, eta_from=now - 2 * day, eta_to=now - day)
        events = [
            _event(courier, now - 2 * day, Status.IN_TRANSIT, "Przesyłka w drodze do oddziału doręczającego", "Łódź"),
            _event(courier, now - 3 * day, Status.INFO_RECEIVED, "Zarejestrowano dane przesyłki", "Warszawa"),
        ]
        return [(courier, events)]
    if scenario == "delivered":
        parcel = _shipment("inpost", "620123456789012345678901", Status.DELIVERED, delivered_at=now - day / 4)
        events = [
            _event(parcel, now - day / 4, Status.DELIVERED, "Przesyłka odebrana", "Kraków"),
            _event(parcel, now - day, Status.AVAILABLE_FOR_PICKUP, "Gotowa do odbioru w paczkomacie", "Kraków"),
            _event(parcel, now - 2 * day, Status.IN_TRANSIT, "Przyjęta w sortowni", "Pruszków"),
        ]
        return [(parcel, events)]
    if scenario == "return":
        outbound = _shipment("dpd", "0000123456789U", Status.DELIVERED, delivered_at=now - 6 * day)
        back = _shipment(
            "inpost",
            "620999456789012345678901",
            Status.IN_TRANSIT,
            direction=Direction.RETURN,
            eta_from=now + day,
            eta_to=now + day,
        )
        return [
            (outbound, [_event(outbound, now - 6 * day, Status.DELIVERED, "Doręczono", "Kraków")]),
            (
                back,
                [
                    _event(back, now - day / 2, Status.IN_TRANSIT, "Przesyłka nadana w paczkomacie", "Kraków"),
                    _event(back, now - day, Status.INFO_RECEIVED, "Przygotowana przez nadawcę", ""),
                ],
            ),
        ]
    if scenario == "problem":
        courier = _shipment("dpd", "0000123456789U", Status.FAILED_ATTEMPT, eta_from=now + day, eta_to=now + day)
        events = [
            _event(
                courier, now - day / 3, Status.FAILED_ATTEMPT, "Nieudana próba doręczenia - brak odbiorcy", "Kraków"
            ),
            _event(courier, now - day / 2, Status.OUT_FOR_DELIVERY, "Wydano do doręczenia", "Kraków"),
        ]
        return [(courier, events)]
    locker = _shipment("inpost", "620123456789012345678901", Status.AVAILABLE_FOR_PICKUP, pickup_point=_LOCKER)
    courier = _shipment(
        "dpd",
        "0000123456789U",
        Status.IN_TRANSIT,
        eta_from=(now + day).replace(hour=9, minute=0),
        eta_to=(now + day).replace(hour=13, minute=0),
    )
    return [
        (
            locker,
            [
                _event(locker, now - day / 6, Status.AVAILABLE_FOR_PICKUP, "Gotowa do odbioru", "Kraków"),
                _event(locker, now - day / 2, Status.OUT_FOR_DELIVERY, "Przekazano do doręczenia", "Kraków"),
                _event(locker, now - day, Status.IN_TRANSIT, "Przyjęta w oddziale", "Pruszków"),
                _event(locker, now - 2 * day, Status.INFO_RECEIVED, "Przesyłka utworzona", ""),
            ],
        ),
        (courier, [_event(courier, now - day / 2, Status.IN_TRANSIT, "Przesyłka w tranzycie", "Łódź")]),
    ]


def sample_page(*, shop: Shop, language: str, scenario: str) -> tuple[OrderPage, Placements]:
    """A page for ``shop`` with made-up order data, and marketing slots filled to show each of them."""
    now = timezone.now()
    order = Order(
        shop=shop,
        number="1001",
        shipping_city="Kraków",
        shipping_postcode="30-001",
        placed_at=now - timedelta(days=3),
        promised_delivery_date=timezone.localdate() + timedelta(days=2),
    )
    items = [
        OrderItem(order=order, name="Ceramic mug, 350 ml", quantity=2, unit_price=Decimal("49.00")),
        OrderItem(order=order, name="Ground coffee, 250 g", quantity=1, unit_price=Decimal("39.00")),
    ]
    shipments = _scenario_shipments(scenario, now)
    page = order_page_build(
        shop=shop,
        order=order,
        items=items,
        shipments=shipments,
        language=language,
        # The preview links straight to the carrier: sample clicks must not be counted.
        carrier_url_for=lambda index, shipment: carrier_tracking_url(shipment.carrier, shipment.tracking_number),
        support_url=shop.support_url,
        now=now,
    )
    delivered = any(shipment.status == Status.DELIVERED for shipment, _ in shipments)
    banner = Banner(
        text=shop.banner_text or "Free shipping on your next order",
        image_url=shop.banner_image.url if shop.banner_image else "",
        link_url=shop.banner_url or shop.website_url,
        alt=shop.banner_text or shop.name,
    )
    placements = Placements(
        products=(
            ProductCard(
                sku="S-1", name="Espresso cup set", url=shop.website_url or "#", price=Decimal("79.00"), currency="PLN"
            ),
            ProductCard(
                sku="S-2", name="Milk frother", url=shop.website_url or "#", price=Decimal("129.00"), currency="PLN"
            ),
        ),
        banner=banner,
        discount=DiscountOffer(
            code="THANKS-10", description="10% off your next order", expires_at=now + 30 * timedelta(days=1)
        ),
        feedback_prompt=delivered,
    )
    return page, placements
