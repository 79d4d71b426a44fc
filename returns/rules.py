"""Which rule applies to an order, its deadline, and which of its items may still be returned, and how many."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.formats import full_date
from returns.models import ReturnItem, ReturnRule, ReturnSettings, ReturnState, WindowStart
from shipments.models import Direction, Order, OrderItem
from shops.calendar import add_business_days, is_business_day, local_date


@dataclass(frozen=True)
class ItemAllowance:
    """How many of one order line the customer may still return, or why none."""

    order_item: OrderItem
    returnable_quantity: int
    refusal: str = ""


def return_rule_for(*, order: Order) -> ReturnRule | None:
    """The shop's rule for the order's destination country, else its any-country rule, else None."""
    rules = {rule.destination_country: rule for rule in ReturnRule.objects.filter(shop_id=order.shop_id)}
    return rules.get((order.shipping_country or "").upper()) or rules.get("")


def return_settings_for(*, shop_id: int) -> ReturnSettings:
    """The shop's return settings, created with defaults on first use."""
    settings, _created = ReturnSettings.objects.get_or_create(shop_id=shop_id)
    return settings


def window_start_date(*, order: Order, rule: ReturnRule) -> date | None:
    """The day the window opens: the delivery day (None while undelivered) or the order day."""
    if rule.window_start == WindowStart.ORDER:
        return local_date(order.placed_at, shop=order.shop)
    delivered = [
        moment
        for moment in order.shipments.filter(direction=Direction.OUTBOUND).values_list("delivered_at", flat=True)
        if moment is not None
    ]
    return local_date(max(delivered), shop=order.shop) if delivered else None


def return_deadline(*, order: Order, rule: ReturnRule) -> date | None:
    """The last day to ask for a return: window days after the start, moved off a non-working day."""
    start = window_start_date(order=order, rule=rule)
    if start is None or rule.window_days == 0:
        return None
    country = return_settings_for(shop_id=order.shop_id).country
    deadline = date.fromordinal(start.toordinal() + rule.window_days)
    if not is_business_day(deadline, country=country, shop=order.shop):
        deadline = add_business_days(deadline, 1, country=country, shop=order.shop)
    return deadline


def window_refusal(*, order: Order, rule: ReturnRule | None, today: date) -> str:
    """Why the order cannot be returned at all today, or '' when its window is open."""
    if rule is None or rule.window_days == 0:
        return _("This shop does not accept returns for this order.")
    deadline = return_deadline(order=order, rule=rule)
    if deadline is None:
        return _("Returns open once the order has been delivered.")
    if today > deadline:
        return _("The return window for this order closed on %(date)s.") % {
            "date": full_date(deadline, language=get_language() or "en")
        }
    return ""


def already_returned(*, order: Order) -> dict[int, int]:
    """Quantity per order item already in returns that were not rejected."""
    rows = (
        ReturnItem.objects.filter(return_request__order=order, order_item__isnull=False)
        .exclude(return_request__state=ReturnState.REJECTED)
        .values("order_item_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["order_item_id"]: row["total"] for row in rows}


def item_allowances(*, order: Order, rule: ReturnRule | None) -> list[ItemAllowance]:
    """Every order line with the quantity still returnable under ``rule`` (0 with a refusal when none)."""
    returned = already_returned(order=order)
    allowances = []
    for item in order.items.order_by("pk"):
        refusal = _item_refusal(item=item, rule=rule)
        left = max(item.quantity - returned.get(item.pk, 0), 0)
        if not refusal and left == 0:
            refusal = _("Already returned.")
        allowances.append(ItemAllowance(order_item=item, returnable_quantity=0 if refusal else left, refusal=refusal))
    return allowances


def _item_refusal(*, item: OrderItem, rule: ReturnRule | None) -> str:
    if rule is None:
        return _("This item cannot be returned.")
    if item.category and item.category in rule.excluded_category_list:
        return _("Items of this kind cannot be returned.")
    if set(item.tag_list) & set(rule.excluded_tag_list):
        return _("This item cannot be returned.")
    if item.discounted and not rule.discounted_returnable:
        return _("Discounted items cannot be returned.")
    return ""


def today_for(*, order: Order, now: datetime) -> date:
    """The shop's calendar day at ``now``."""
    return local_date(now, shop=order.shop)
