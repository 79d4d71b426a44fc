"""Reads for the tracking page: cache keys, the lookup, parcels by their own token."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from shipments.models import Order, Shipment, TrackingEvent
from shops.models import Shop
from tracking_portal.models import DeliveryFeedback


@dataclass(frozen=True)
class PageKey:
    """What the cached page of an order depends on, read in one small query."""

    order_id: int
    shop_id: int
    version: int
    shop_updated_at: datetime
    locale: str


def order_page_key(*, token: str) -> PageKey | None:
    """The cache-relevant facts of the order behind ``token`` (active shops only)."""
    row = (
        Order.objects.filter(public_token=token, shop__is_active=True)
        .values_list("pk", "shop_id", "version", "shop__updated_at", "locale", "shop__locale")
        .first()
    )
    if row is None:
        return None
    order_id, shop_id, version, shop_updated_at, locale, shop_locale = row
    return PageKey(order_id, shop_id, version, shop_updated_at, locale or shop_locale)


def order_for_lookup(*, shop_id: int, number: str) -> Order | None:
    """The order ``number`` of a shop with just what the lookup compares (always exactly one query)."""
    return (
        Order.objects.filter(shop_id=shop_id, number=number)
        .only("pk", "public_token", "customer_email", "shipping_postcode")
        .first()
    )


def shipment_for_tracking_number(*, shop_id: int, tracking_number: str) -> Shipment | None:
    """A shop's parcel by its tracking number (outbound first), for the tracking-number-only lookup."""
    return (
        Shipment.objects.filter(shop_id=shop_id, tracking_number=tracking_number)
        .only("pk", "public_token")
        .order_by("direction", "-created_at")
        .first()
    )


def shipment_for_token(*, token: str) -> Shipment | None:
    """The parcel behind its own public token, with its shop and events newest first, in fixed queries."""
    return (
        Shipment.objects.select_related("shop", "order")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")))
        .filter(public_token=token, shop__is_active=True)
        .first()
    )


def feedback_exists(*, order_id: int) -> bool:
    """Whether the customer has already rated the delivery of this order."""
    return DeliveryFeedback.objects.filter(order_id=order_id).exists()


def shop_for_lookup(*, slug: str | None = None, shop_id: int | None = None) -> Shop | None:
    """The active shop whose lookup form is asked for, by slug (/<shop>/track) or id (custom domain)."""
    shops = Shop.objects.filter(is_active=True)
    if slug is not None:
        return shops.filter(slug=slug).first()
    return shops.filter(pk=shop_id).first() if shop_id else None
