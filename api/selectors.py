"""Reads for the API, always within one shop, and the opaque cursor of the shipment list."""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_datetime

from shipments.models import Order, Shipment, TrackingEvent
from shops.models import Shop

_CURSOR_SALT = "api.shipments.cursor"


class InvalidCursor(ValueError):
    """The cursor was not issued by us (tampered, truncated or from another list)."""


def order_of_shop(*, shop: Shop, number: str) -> Order | None:
    """``shop``'s order ``number`` with items, shipments and their events (newest first), or None."""
    return (
        Order.objects.filter(shop=shop, number=number)
        .prefetch_related(
            "items",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("order")
                .order_by("direction", "created_at", "pk")
                .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"))),
            ),
        )
        .first()
    )


def shipment_of_shop(*, shop: Shop, shipment_id: int) -> Shipment | None:
    """One shipment of ``shop`` with its order and events (newest first); another shop's id is None too."""
    return (
        Shipment.objects.select_related("order")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")))
        .filter(shop=shop, pk=shipment_id)
        .first()
    )


def cursor_encode(*, updated_at: datetime, shipment_id: int, salt: str = _CURSOR_SALT) -> str:
    """An opaque, signed position after ``(updated_at, id)``; each list signs with its own ``salt``."""
    return signing.dumps([updated_at.isoformat(), shipment_id], salt=salt)


def cursor_decode(cursor: str, *, salt: str = _CURSOR_SALT) -> tuple[datetime, int]:
    try:
        stamp, shipment_id = signing.loads(cursor, salt=salt)
        updated_at = parse_datetime(stamp)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidCursor("Invalid cursor.") from error
    if updated_at is None or not isinstance(shipment_id, int):
        raise InvalidCursor("Invalid cursor.")
    return updated_at, shipment_id


@dataclass(frozen=True)
class ShipmentPageResult:
    shipments: list[Shipment]
    next_cursor: str | None


def shipments_page(
    *,
    shop: Shop,
    status: str | None = None,
    carrier: str | None = None,
    updated_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ShipmentPageResult:
    """``shop``'s shipments oldest update first, filtered, one page after ``cursor``.

    Ordering by (updated_at, id) makes ``updated_since`` + cursors a safe incremental sync: a row
    updated while paging moves to the end instead of being skipped.
    """
    queryset = Shipment.objects.select_related("order").filter(shop=shop)
    if status:
        queryset = queryset.filter(status=status)
    if carrier:
        queryset = queryset.filter(carrier=carrier)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    if cursor:
        after_time, after_id = cursor_decode(cursor)
        queryset = queryset.filter(Q(updated_at__gt=after_time) | Q(updated_at=after_time, pk__gt=after_id))
    rows = list(queryset.order_by("updated_at", "pk")[: limit + 1])
    shipments = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = shipments[-1]
        next_cursor = cursor_encode(updated_at=last.updated_at, shipment_id=last.pk)
    return ShipmentPageResult(shipments=shipments, next_cursor=next_cursor)
