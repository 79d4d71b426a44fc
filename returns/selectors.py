"""Reads for returns: the public page's return, a shop's queue, the portal's order by signed link."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core import signing
from django.db.models import QuerySet

from campaigns.models import Product
from returns.insight import return_rate as insight_return_rate
from returns.links import START_LINK_SALT, return_start_url
from returns.models import ReturnReason, ReturnRequest, ReturnState
from returns.rules import item_allowances, return_rule_for, today_for, window_refusal
from shipments.models import Order, OrderItem
from shops.models import Shop

# A "return this order" link (tracking page, delivered email) lives this long at most.
START_LINK_MAX_AGE_SECONDS = 60 * 24 * 3600


def return_for_token(*, token: str) -> ReturnRequest | None:
    """The return behind its public token, with its shop, order, items and timeline."""
    return (
        ReturnRequest.objects.select_related("shop", "order")
        .prefetch_related("items__reason", "transitions")
        .filter(public_token=token)
        .first()
    )


def order_for_start_token(*, shop_id: int, token: str) -> Order | None:
    """The shop's order a signed start link names, while no return was submitted since it was signed."""
    try:
        signed = signing.loads(token, salt=START_LINK_SALT, max_age=START_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    order = Order.objects.select_related("shop").filter(pk=signed.get("order"), shop_id=shop_id).first()
    if order is None or order.return_requests.count() != signed.get("returns"):
        return None
    return order


def order_offers_returns(*, order: Order, now: datetime) -> bool:
    """Whether the order's tracking page offers "return items": a rule applies and its window is open today."""
    rule = return_rule_for(order=order)
    return window_refusal(order=order, rule=rule, today=today_for(order=order, now=now)) == ""


def return_reasons_for(*, shop_id: int) -> QuerySet[ReturnReason]:
    """The reasons a customer may pick, in the shop's order."""
    return ReturnReason.objects.filter(shop_id=shop_id, is_active=True).order_by("position", "pk")


def returns_of_shop(*, shop_id: int) -> QuerySet[ReturnRequest]:
    """A shop's returns, newest first, with what the queue and the API show."""
    return (
        ReturnRequest.objects.filter(shop_id=shop_id)
        .select_related("order", "shop")
        .prefetch_related("items__reason")
        .order_by("-created_at", "-pk")
    )


def exchange_products(*, shop_id: int) -> QuerySet[Product]:
    """The shop's active catalog products a returned item may be exchanged for."""
    return Product.objects.filter(shop_id=shop_id, active=True).order_by("category", "name", "sku")


def exchange_choices(*, shop_id: int, order_item: OrderItem, limit: int = 40) -> list[Product]:
    """What the portal offers instead of ``order_item``: other products of its category (any when it has none)."""
    products = exchange_products(shop_id=shop_id).exclude(sku=order_item.sku)
    if order_item.category:
        products = products.filter(category=order_item.category)
    return list(products[:limit])


def delivered_email_return_link(*, order: Order, now: datetime) -> str:
    """The signed portal link of the delivered email: '' unless a window is open and an item is still returnable."""
    rule = return_rule_for(order=order)
    if window_refusal(order=order, rule=rule, today=today_for(order=order, now=now)):
        return ""
    if not any(allowance.returnable_quantity for allowance in item_allowances(order=order, rule=rule)):
        return ""
    return return_start_url(order=order)


# Returns waiting for the shop: to approve or reject, and received parcels to resolve.
WAITING_STATES = (ReturnState.REQUESTED, ReturnState.RECEIVED)


def returns_waiting_count(*, shop_id: int) -> int:
    """How many of a shop's returns wait for the shop (``WAITING_STATES``): the dashboard's tile."""
    return ReturnRequest.objects.filter(shop_id=shop_id, state__in=WAITING_STATES).count()


def return_rate(*, shop: Shop, start: date, end: date) -> Decimal | None:
    """Returned share of the items of the shop's orders placed from ``start`` to ``end`` (None: nothing ordered)."""
    return insight_return_rate(shop_ids=[shop.pk], since=start, until=end)
