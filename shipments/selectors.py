"""Reads for orders and shipments."""

from django.db.models import Prefetch

from shipments.models import Order, Shipment, TrackingEvent


def order_for_token(*, token: str) -> Order | None:
    """The order behind a public tracking token, with everything its page shows, in a fixed number of queries."""
    return (
        Order.objects.select_related("shop")
        .prefetch_related(
            "items",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.order_by("direction", "created_at").prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"))
                ),
            ),
        )
        .filter(public_token=token, shop__is_active=True)
        .first()
    )
