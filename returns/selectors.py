"""Reads for returns: the public page's return, a shop's queue, the portal's order by signed link."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db.models import QuerySet

from returns.links import START_LINK_SALT
from returns.models import ReturnReason, ReturnRequest, ReturnState
from returns.rules import return_rule_for, today_for, window_refusal
from shipments.models import Order

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


# Returns waiting for the shop: to approve or reject, and received parcels to resolve.
WAITING_STATES = (ReturnState.REQUESTED, ReturnState.RECEIVED)


def returns_waiting_count(*, shop_id: int) -> int:
    """How many of a shop's returns wait for the shop (``WAITING_STATES``): the dashboard's tile."""
    return ReturnRequest.objects.filter(shop_id=shop_id, state__in=WAITING_STATES).count()
