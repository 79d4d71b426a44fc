"""The demo's returns: rules, reasons, a store-credit pool and a few returns in different states.

The window counts from the order date, so every demo order can be returned at once (its parcels start
pending and are delivered by the simulator later); the seeded returns use methods that need no carrier
call, so the seed stays offline.
"""

from datetime import datetime
from decimal import Decimal

from campaigns.discounts import discount_codes_generate
from campaigns.models import DiscountPool, PoolKind
from returns.models import PhotoRule, ReturnReason, ReturnRule, ReturnSettings, WindowStart
from returns.selectors import exchange_choices
from returns.services import (
    ReturnLine,
    return_approve,
    return_receive,
    return_reject,
    return_request_create,
    return_resolve,
)
from shipments.models import Order
from shops.models import Shop

REASONS = [
    ("size", "Zły rozmiar / Wrong size", PhotoRule.OFF),
    ("damaged", "Uszkodzony / Damaged", PhotoRule.REQUIRED),
    ("not-as-described", "Niezgodny z opisem / Not as described", PhotoRule.OPTIONAL),
    ("changed-mind", "Rozmyśliłem się / Changed my mind", PhotoRule.OFF),
]


def demo_returns_seed(*, shop: Shop, orders: list[Order], now: datetime) -> None:
    """Rules, reasons and four returns of ``orders`` (requested, approved, rejected, resolved with credit)."""
    pool = DiscountPool.objects.create(
        shop=shop, name="Store credit (returns)", kind=PoolKind.GENERATED, description="Store credit", valid_days=365
    )
    discount_codes_generate(pool=pool, pattern="ZWROT-????-????", count=20)
    ReturnSettings.objects.create(
        shop=shop,
        country="PL",
        return_address="Ziarno, Zwroty, ul. Palarni 7, 30-001 Kraków",
        methods=["inpost_code", "packeta_code", "self_send"],
        packeta_return_code="ZIARNO-ZWROT",
        store_credit_pool=pool,
        store_credit_bonus_percent=10,
    )
    ReturnRule.objects.create(
        shop=shop, window_days=30, window_start=WindowStart.ORDER, excluded_tags="bezkofeinowa", auto_approve=False
    )
    ReturnRule.objects.create(
        shop=shop, destination_country="DE", window_days=14, window_start=WindowStart.ORDER, fee=Decimal("9.99")
    )
    reasons = {
        code: ReturnReason.objects.create(shop=shop, code=code, label=label, photo=photo, position=index)
        for index, (code, label, photo) in enumerate(REASONS)
    }

    def one_item_return(order: Order, reason: str, resolution: str, method: str):  # type: ignore[no-untyped-def]
        item = order.items.exclude(tags__contains="bezkofeinowa").order_by("pk").first()
        if item is None:
            return None
        # An exchange names the catalog product wanted instead, as a customer picks it in the portal.
        choices = exchange_choices(shop_id=shop.pk, order_item=item, limit=1) if resolution == "exchange" else []
        line = ReturnLine(
            order_item_id=item.pk,
            quantity=1,
            reason_id=reasons[reason].pk,
            exchange_sku=choices[0].sku if choices else "",
        )
        return return_request_create(
            order=order,
            lines=[line],
            resolution=resolution,
            method=method,
            now=now,
        )

    one_item_return(orders[1], "size", "exchange", "packeta_code")
    approved = one_item_return(orders[2], "not-as-described", "refund", "self_send")
    if approved is not None:
        return_approve(return_request=approved, now=now)
    rejected = one_item_return(orders[3], "changed-mind", "refund", "self_send")
    if rejected is not None:
        return_reject(return_request=rejected, reason="Opened coffee cannot be returned", now=now)
    credited = one_item_return(orders[4], "size", "store_credit", "self_send")
    if credited is not None:
        return_approve(return_request=credited, now=now)
        return_receive(return_request=credited, now=now)
        return_resolve(return_request=credited, now=now)
