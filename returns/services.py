"""Writes for returns: a customer's request (rules checked, all or nothing) and the merchant's decisions.

Every state change goes through ``returns.lifecycle.return_transition``; issuing a carrier code lives in
``returns.methods``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.discounts import discount_code_allocate
from campaigns.models import Product
from config.celery import publish_on_commit
from returns.lifecycle import TransitionError, return_step_announce, return_transition
from returns.methods import ISSUE_TASK, return_code_issue_local
from returns.models import (
    PhotoRule,
    Resolution,
    ReturnItem,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    ReturnRule,
    ReturnState,
    ReturnTransition,
)
from returns.photos import return_photo_clean
from returns.rules import (
    item_allowances,
    return_deadline,
    return_rule_for,
    return_settings_for,
    today_for,
    window_refusal,
)
from returns.selectors import exchange_choices, exchange_products
from shipments.models import Order
from shipments.services import order_touch


@dataclass(frozen=True)
class ReturnLine:
    """One order line the customer returns: how many, why, and the photo when the reason asks for one."""

    order_item_id: int
    quantity: int
    reason_id: int
    photo: UploadedFile | None = None
    # For an exchange: the SKU of the catalog product wanted instead.
    exchange_sku: str = ""


def offered_methods(*, shop_id: int) -> list[str]:
    """The return methods the shop offers (sending it yourself when it chose none)."""
    conf = return_settings_for(shop_id=shop_id)
    methods = [method for method in conf.methods if method in ReturnMethod.values]
    if ReturnMethod.PACKETA_CODE in methods and not conf.packeta_return_code:
        methods.remove(ReturnMethod.PACKETA_CODE)
    return methods or [ReturnMethod.SELF_SEND]


def return_request_create(
    *,
    order: Order,
    lines: Sequence[ReturnLine],
    resolution: str,
    method: str,
    customer_note: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """Ask to return ``lines`` of ``order``: every rule checked first, then stored whole, then announced.

    Raises ``ValidationError`` keyed by field (``order``, ``items``, ``items[i].quantity`` ...) and
    stores nothing when any rule fails. An auto-approving rule approves it at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The order row lock serialises two returns of one order, so quantities cannot be returned twice.
        order = Order.objects.select_for_update().select_related("shop").get(pk=order.pk)
        rule = return_rule_for(order=order)
        refusal = window_refusal(order=order, rule=rule, today=today_for(order=order, now=now))
        if refusal:
            raise ValidationError({"order": refusal}, code="not_returnable")
        errors: dict[str, str] = {}
        if resolution not in Resolution.values:
            errors["resolution"] = _("Choose a refund, an exchange or store credit.")
        if method not in offered_methods(shop_id=order.shop_id):
            errors["method"] = _("Choose one of the offered return methods.")
        photos = _lines_check(order=order, lines=lines, rule=rule, errors=errors)
        exchanges = (
            _exchanges_check(order=order, lines=lines, errors=errors) if resolution == Resolution.EXCHANGE else {}
        )
        if errors:
            raise ValidationError(errors, code="invalid")
        return_request = ReturnRequest.objects.create(
            shop_id=order.shop_id,
            order=order,
            resolution=resolution,
            method=method,
            customer_note=customer_note.strip()[:2000],
            fee=rule.fee,
            currency=order.currency,
            deadline=return_deadline(order=order, rule=rule),
            state_changed_at=now,
        )
        reasons = {reason.pk: reason for reason in ReturnReason.objects.filter(shop_id=order.shop_id)}
        items = {item.pk: item for item in order.items.all()}
        for index, line in enumerate(lines):
            order_item = items[line.order_item_id]
            ReturnItem.objects.create(
                return_request=return_request,
                order_item=order_item,
                sku=order_item.sku,
                name=order_item.name,
                quantity=line.quantity,
                reason=reasons[line.reason_id],
                photo=photos.get(index) or "",
                exchange_sku=exchanges[index].sku if index in exchanges else "",
                exchange_name=exchanges[index].name if index in exchanges else "",
            )
        ReturnTransition.objects.create(
            return_request=return_request, from_state="", to_state=ReturnState.REQUESTED, occurred_at=now
        )
        return_step_announce(return_request=return_request, state=ReturnState.REQUESTED, now=now)
        # The tracking page shows the returns link signed for the old count: re-render it.
        order_touch(order_id=order.pk)
        if rule.auto_approve:
            return_request = return_approve(return_request=return_request, note="Approved by the shop's rule", now=now)
    return return_request


def _lines_check(
    *, order: Order, lines: Sequence[ReturnLine], rule: ReturnRule | None, errors: dict[str, str]
) -> dict[int, ContentFile]:
    """Fill ``errors`` for every bad line; the cleaned photos by line index."""
    if not lines:
        errors["items"] = _("Choose at least one item to return.")
        return {}
    allowances = {allowance.order_item.pk: allowance for allowance in item_allowances(order=order, rule=rule)}
    reasons = {reason.pk: reason for reason in ReturnReason.objects.filter(shop_id=order.shop_id, is_active=True)}
    seen: set[int] = set()
    photos: dict[int, ContentFile] = {}
    for index, line in enumerate(lines):
        field = f"items[{index}]"
        allowance = allowances.get(line.order_item_id)
        if allowance is None or line.order_item_id in seen:
            errors[field] = _("This item is not part of the order.")
            continue
        seen.add(line.order_item_id)
        if allowance.refusal:
            errors[field] = allowance.refusal
            continue
        if line.quantity < 1 or line.quantity > allowance.returnable_quantity:
            errors[f"{field}.quantity"] = _("You can return at most %(count)s of this item.") % {
                "count": allowance.returnable_quantity
            }
        reason = reasons.get(line.reason_id)
        if reason is None:
            errors[f"{field}.reason"] = _("Choose a reason.")
            continue
        if line.photo is None:
            if reason.photo == PhotoRule.REQUIRED:
                errors[f"{field}.photo"] = _("This reason needs a photo of the item.")
            continue
        if reason.photo == PhotoRule.OFF:
            continue
        try:
            photos[index] = return_photo_clean(upload=line.photo)
        except ValidationError as error:
            errors[f"{field}.photo"] = error.messages[0]
    return photos


def _exchanges_check(*, order: Order, lines: Sequence[ReturnLine], errors: dict[str, str]) -> dict[int, Product]:
    """The catalog product each line is exchanged for, by line index; ``errors`` for a missing or unknown one.

    A line whose item the catalog offers nothing for may leave the choice to the shop.
    """
    wanted = {line.exchange_sku.strip() for line in lines if line.exchange_sku.strip()}
    products = {product.sku: product for product in exchange_products(shop_id=order.shop_id).filter(sku__in=wanted)}
    order_items = {item.pk: item for item in order.items.all()}
    exchanges = {}
    for index, line in enumerate(lines):
        sku = line.exchange_sku.strip()
        order_item = order_items.get(line.order_item_id)
        if not sku:
            if order_item is not None and exchange_choices(shop_id=order.shop_id, order_item=order_item, limit=1):
                errors[f"items[{index}].exchange"] = _("Choose what you would like instead.")
        elif sku not in products:
            errors[f"items[{index}].exchange"] = _("This product is not available for an exchange.")
        else:
            exchanges[index] = products[sku]
    return exchanges


def return_approve(*, return_request: ReturnRequest, note: str = "", now: datetime | None = None) -> ReturnRequest:
    """Approve a requested return and start issuing its code (a carrier's in a task, the shop's own at once)."""
    now = now or timezone.now()
    with transaction.atomic():
        return_request = return_transition(
            return_request=return_request, to_state=ReturnState.APPROVED, note=note, now=now
        )
        if return_request.method == ReturnMethod.INPOST_CODE:
            publish_on_commit(ISSUE_TASK, return_request_id=return_request.pk)
        elif return_request.method == ReturnMethod.PACKETA_CODE:
            return_request = return_code_issue_local(return_request=return_request, now=now)
    return return_request


def return_reject(*, return_request: ReturnRequest, reason: str, now: datetime | None = None) -> ReturnRequest:
    """Reject a requested return, saying why (the customer reads the reason)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the return is rejected.")}, code="required")
    with transaction.atomic():
        ReturnRequest.objects.filter(pk=return_request.pk).update(rejection_reason=reason[:500])
        return_request.rejection_reason = reason[:500]
        return return_transition(
            return_request=return_request, to_state=ReturnState.REJECTED, note=reason[:500], now=now
        )


def return_receive(
    *, return_request: ReturnRequest, quantities: Mapping[int, int] | None = None, now: datetime | None = None
) -> ReturnRequest:
    """Record what arrived at the shop, item by item (all of it when ``quantities`` is None), then mark received."""
    with transaction.atomic():
        items = {item.pk: item for item in return_request.items.select_for_update()}
        wanted = quantities if quantities is not None else {pk: item.quantity for pk, item in items.items()}
        errors = {}
        for item_id, quantity in wanted.items():
            item = items.get(item_id)
            if item is None:
                errors[f"items.{item_id}"] = _("This item is not part of the return.")
            elif not 0 <= quantity <= item.quantity:
                errors[f"items.{item_id}"] = _("You can return at most %(count)s of this item.") % {
                    "count": item.quantity
                }
        if errors:
            raise ValidationError(errors, code="invalid")
        for item_id, quantity in wanted.items():
            ReturnItem.objects.filter(pk=item_id).update(received_quantity=quantity)
        return return_transition(return_request=return_request, to_state=ReturnState.RECEIVED, now=now)


def return_resolve(*, return_request: ReturnRequest, note: str = "", now: datetime | None = None) -> ReturnRequest:
    """Record the refund or exchange (``note``), or give store credit: a unique code from the shop's pool."""
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().select_related("order").get(pk=return_request.pk)
        if locked.state != ReturnState.RECEIVED:
            raise TransitionError(f"A return that is {locked.state} cannot become resolved.")
        if locked.resolution == Resolution.STORE_CREDIT and not locked.store_credit_code:
            pool = return_settings_for(shop_id=locked.shop_id).store_credit_pool
            if pool is None:
                raise ValidationError({"resolution": _("Set a store credit code pool first.")}, code="no_pool")
            outcome = discount_code_allocate(pool=pool, order=locked.order, now=now)
            if outcome.allocation is None:
                raise ValidationError({"resolution": outcome.note}, code="no_code")
            # campaigns gives a pool's code once per order: a second credited return of it would repeat the code.
            if ReturnRequest.objects.filter(order=locked.order, store_credit_code=outcome.allocation.code).exists():
                raise ValidationError(
                    {
                        "resolution": _("This order already has store credit code %(code)s; give this credit by hand.")
                        % {"code": outcome.allocation.code}
                    },
                    code="credit_given",
                )
            locked.store_credit_code = outcome.allocation.code
            locked.store_credit_amount = store_credit_amount(return_request=locked)
        locked.resolution_note = note.strip()[:500]
        locked.save(update_fields=["store_credit_code", "store_credit_amount", "resolution_note", "updated_at"])
        return return_transition(return_request=locked, to_state=ReturnState.RESOLVED, note=note[:500], now=now)


def store_credit_amount(*, return_request: ReturnRequest) -> Decimal:
    """The credit for what arrived back (all of it when nothing was counted), plus the shop's bonus."""
    items = list(return_request.items.select_related("order_item"))
    counted = any(item.received_quantity for item in items)
    value = Decimal(0)
    for item in items:
        price = item.order_item.unit_price if item.order_item else Decimal(0)
        value += price * (item.received_quantity if counted else item.quantity)
    bonus = return_settings_for(shop_id=return_request.shop_id).store_credit_bonus_percent
    return (value * (100 + bonus) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def return_close(*, return_request: ReturnRequest, now: datetime | None = None) -> ReturnRequest:
    """Close a resolved or rejected return."""
    return return_transition(return_request=return_request, to_state=ReturnState.CLOSED, now=now)
