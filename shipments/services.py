"""Writes for orders and shipments: ingestion (API, CSV, admin, demo seeder).

Applying carrier results lives in ``shipments.tracking``; scheduling in ``shipments.schedule``,
dispatch and batch runs in ``shipments.dispatch``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carriers.detection import detect
from carriers.registry import carrier_codes
from shipments.models import Direction, Order, OrderItem, Shipment
from shops.models import Shop
from shops.phones import phone_normalize

ORDER_FIELDS = (
    "customer_name",
    "customer_email",
    "customer_phone",
    "shipping_city",
    "shipping_postcode",
    "shipping_country",
    "locale",
    "email_marketing_consent",
    "sms_marketing_consent",
    "currency",
    "total_amount",
    "shipping_method",
    "placed_at",
    "promised_delivery_date",
)


@dataclass(frozen=True)
class CarrierChoice:
    """The carrier a shipment got, and how sure we are when it was detected rather than given."""

    carrier: str
    confidence: float | None
    detected: bool


def shipment_carrier_resolve(
    *, tracking_number: str, carrier: str | None, enabled: Iterable[str] | None = None
) -> CarrierChoice:
    """Use the given carrier, or detect it from the number; a low-confidence guess is an error."""
    if carrier:
        if carrier not in carrier_codes():
            raise ValidationError({"carrier": f"Unknown carrier {carrier!r}."}, code="unknown_carrier")
        return CarrierChoice(carrier=carrier, confidence=None, detected=False)
    detection = detect(tracking_number, enabled=enabled)
    if detection.best is None:
        options = ", ".join(f"{c.carrier} ({c.confidence:.0%})" for c in detection.candidates[:3]) or "none"
        raise ValidationError(
            {"carrier": f"Cannot tell the carrier of {tracking_number!r} with confidence ({options}); name it."},
            code="carrier_undetected",
        )
    return CarrierChoice(carrier=detection.best.carrier, confidence=detection.best.confidence, detected=True)


def order_touch(*, order_id: int) -> None:
    """Mark that what the order's tracking page shows has changed (cache keys use ``version``)."""
    Order.objects.filter(pk=order_id).update(version=F("version") + 1, updated_at=timezone.now())


def shipment_add(
    *,
    order: Order,
    tracking_number: str,
    carrier: str | None = None,
    direction: str = Direction.OUTBOUND,
    service: str = "",
    enabled_carriers: Iterable[str] | None = None,
    pickup_point: Mapping[str, Any] | None = None,
) -> Shipment:
    """Attach a shipment to ``order`` and make it due for its first poll now.

    Adding the same carrier and number twice returns the existing shipment. ``pickup_point`` (the
    fields of ``carriers.types.PickupPoint``) is what the shop knows before the carrier says it.
    """
    number = "".join(tracking_number.split()).upper()
    if not number:
        raise ValidationError({"tracking_number": "A tracking number is required."}, code="required")
    choice = shipment_carrier_resolve(tracking_number=number, carrier=carrier, enabled=enabled_carriers)
    existing = Shipment.objects.filter(order=order, carrier=choice.carrier, tracking_number=number).first()
    if existing is not None:
        return existing
    shipment = Shipment(
        shop_id=order.shop_id,
        order=order,
        carrier=choice.carrier,
        carrier_confidence=choice.confidence,
        tracking_number=number,
        direction=direction,
        service=service,
        pickup_point=dict(pickup_point) if pickup_point else None,
        next_poll_at=timezone.now(),
    )
    shipment.full_clean(exclude=["order", "shop"])
    shipment.save()
    order_touch(order_id=order.pk)
    return shipment


def shipment_withdraw(*, shipment_id: int) -> bool:
    """The shop withdrew a parcel (a cancelled label): remove it while no carrier has said anything about it.

    Returns True when it was removed. A parcel with carrier events is kept: the carrier has it, so its
    history and messages stay true.
    """
    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None:
        return True
    if shipment.events.exists() or shipment.status_changes.exists():
        return False
    order_id = shipment.order_id
    shipment.delete()
    order_touch(order_id=order_id)
    return True


@transaction.atomic
def order_upsert(
    *,
    shop: Shop,
    number: str,
    items: Iterable[Mapping[str, Any]] | None = None,
    shipments: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> tuple[Order, bool]:
    """Create or update ``shop``'s order ``number`` with its items and shipments, all or nothing.

    Items, when given, replace the stored items; shipments are added (existing ones are kept).
    Returns ``(order, created)``.
    """
    unknown = set(fields) - set(ORDER_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)}, code="unknown_field")
    if "placed_at" not in fields:
        fields.setdefault("placed_at", timezone.now())
    if isinstance(fields.get("total_amount"), (int, float, str)):
        fields["total_amount"] = Decimal(str(fields["total_amount"]))
    if isinstance(fields.get("placed_at"), datetime) and timezone.is_naive(fields["placed_at"]):
        raise ValidationError({"placed_at": "Give a time zone offset."}, code="naive_datetime")

    order = Order.objects.select_for_update().filter(shop=shop, number=number).first()
    created = order is None
    if order is None:
        order = Order(shop=shop, number=number)
    for name, value in fields.items():
        setattr(order, name, value)
    order.full_clean(exclude=["shop"])
    if "customer_phone" in fields or "shipping_country" in fields:
        order.customer_phone = _checked_phone(order)
    order.save()

    if items is not None:
        order.items.all().delete()
        new_items = []
        for index, item in enumerate(items):
            order_item = OrderItem(order=order, **item)
            try:
                order_item.full_clean(exclude=["order"])
            except ValidationError as error:
                raise _nested(error, f"items[{index}]") from error
            new_items.append(order_item)
        OrderItem.objects.bulk_create(new_items)

    for index, shipment in enumerate(shipments or ()):
        try:
            shipment_add(order=order, **shipment)
        except ValidationError as error:
            raise _nested(error, f"shipments[{index}]") from error
        except TypeError as error:
            raise ValidationError({f"shipments[{index}]": str(error)}) from error
    if not created:
        order_touch(order_id=order.pk)
        order.refresh_from_db(fields=["version", "updated_at"])
    return order, created


def _checked_phone(order: Order) -> str:
    """The order's phone in E.164; a number that is not one at all is refused (landlines are kept)."""
    if not order.customer_phone.strip():
        return ""
    check = phone_normalize(raw=order.customer_phone, country=order.shipping_country)
    if not check.e164:
        raise ValidationError({"customer_phone": f"{check.reason}; write it with its country prefix, e.g. +48…"})
    return check.e164


def _nested(error: ValidationError, prefix: str) -> ValidationError:
    """``error`` with its fields renamed under ``prefix`` (``shipments[0].carrier``), so callers can point at them."""
    if hasattr(error, "error_dict"):
        return ValidationError({f"{prefix}.{field}": messages for field, messages in error.message_dict.items()})
    return ValidationError({prefix: error.messages})
