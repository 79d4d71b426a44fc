"""factory_boy factories for the domain; every app's tests build their data from these."""

from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from shipments.models import Order, OrderItem, Shipment, StatusChange, TrackingEvent
from shops.models import Membership, Role, Shop


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    locale = "pl"
    timezone = "Europe/Warsaw"
    support_email = factory.LazyAttribute(lambda shop: f"support@{shop.slug}.example")
    sender_name = factory.SelfAttribute("name")
    sender_email = factory.LazyAttribute(lambda shop: f"hello@{shop.slug}.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)
    role = Role.OWNER


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    shop = factory.SubFactory(ShopFactory)
    number = factory.Sequence(lambda n: f"PF-{10000 + n}")
    customer_name = "Anna Kowalska"
    customer_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    customer_phone = "+48 600 100 200"
    shipping_city = "Kraków"
    shipping_postcode = "30-001"
    shipping_country = "PL"
    locale = "pl"
    email_marketing_consent = True
    currency = "PLN"
    total_amount = Decimal("249.00")
    placed_at = factory.LazyFunction(lambda: datetime(2026, 11, 2, 9, 30, tzinfo=UTC))


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = "Kubek ceramiczny"
    quantity = 1
    unit_price = Decimal("49.00")


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    carrier = "inpost"
    tracking_number = factory.Sequence(lambda n: f"{620000000000000000000000 + n}")
    status = "pending"


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    shipment = factory.SubFactory(ShipmentFactory)
    occurred_at = factory.LazyFunction(lambda: datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    status = "in_transit"
    raw_code = "adopted_at_sorting_center"
    text = "Przesyłka przyjęta w sortowni"
    location = "Warszawa"
    dedupe_key = factory.Sequence(lambda n: f"{n:064x}")


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusChange

    shipment = factory.SubFactory(ShipmentFactory)
    # A status transition by default: from == to would be a reason-only change.
    from_status = factory.LazyAttribute(
        lambda change: "info_received" if change.to_status == "in_transit" else "in_transit"
    )
    to_status = "out_for_delivery"
    occurred_at = factory.LazyFunction(lambda: datetime(2026, 11, 4, 7, 0, tzinfo=UTC))
