"""Reads for the tracking page: cache keys, the lookup, parcels by their own token."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch

from shipments.models import Order, Shipment, TrackingEvent
from shops.models import Shop


@dataclass(frozen=True)
class PageKey:
    """What the cached page of an order depends on, read in one small query."""

    order_id: int
    shop_id: int
    version: int
    branding_stamp: str  # the shop's updated_at, as stored: changes whenever branding is saved
    locale: str


def _page_key_sql() -> str:
    # Only our own table names are interpolated; the token is always a bound parameter.
    quote = connection.ops.quote_name
    order, shop = quote(Order._meta.db_table), quote(Shop._meta.db_table)
    columns = "o.id, o.shop_id, o.version, s.updated_at, o.locale, s.locale"
    joined = f"{order} o JOIN {shop} s ON s.id = o.shop_id"
    return f"SELECT {columns} FROM {joined} WHERE o.public_token = %s AND s.is_active LIMIT 1"  # noqa: S608


def order_page_key(*, token: str) -> PageKey | None:
    """The cache-relevant facts of the order behind ``token`` (active shops only).

    This runs on every view of a cached page, so it is one indexed query written out by hand: building
    it through the ORM costs about three times as much as running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_page_key_sql(), [token])
        row = cursor.fetchone()
    if row is None:
        return None
    order_id, shop_id, version, shop_updated_at, locale, shop_locale = row
    return PageKey(order_id, shop_id, version, str(shop_updated_at), locale or shop_locale)


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


def shop_for_lookup(*, slug: str | None = None, shop_id: int | None = None) -> Shop | None:
    """The active shop whose lookup form is asked for, by slug (/<shop>/track) or id (custom domain)."""
    shops = Shop.objects.filter(is_active=True)
    if slug is not None:
        return shops.filter(slug=slug).first()
    return shops.filter(pk=shop_id).first() if shop_id else None
