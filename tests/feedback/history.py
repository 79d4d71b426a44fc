"""Building feedback histories for report tests: orders, their scores and later orders, at chosen times."""

from datetime import datetime, timedelta

from feedback.models import CarrierRating, FeedbackResponse, segment_of
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory


def scored_order(shop, *, email, placed_at, score, scale="nps", carrier="inpost", category="", answered_after=3):
    """An order of ``email`` placed at ``placed_at``, delivered by ``carrier``, scored ``answered_after`` days later."""
    order = OrderFactory(shop=shop, customer_email=email, placed_at=placed_at)
    if category:
        OrderItemFactory(order=order, category=category)
    ShipmentFactory(order=order, carrier=carrier, status="delivered")
    at = placed_at + timedelta(days=answered_after)
    FeedbackResponse.objects.create(
        shop=shop,
        order=order,
        scale=scale,
        score=score,
        segment=segment_of(scale=scale, score=score),
        carrier=carrier,
        created_at=at,
        updated_at=at,
    )
    return order


def later_order(shop, *, email, placed_at: datetime):
    return OrderFactory(shop=shop, customer_email=email, placed_at=placed_at)


def carrier_rating(shop, *, carrier, score, at):
    order = OrderFactory(shop=shop)
    parcel = ShipmentFactory(order=order, carrier=carrier, status="delivered")
    return CarrierRating.objects.create(
        shop=shop, shipment=parcel, carrier=carrier, score=score, created_at=at, updated_at=at
    )
