"""Platform orders into ours: every order and parcel goes through ``shipments.services`` (the one ingestion path).

Idempotent by the platform's ids (``PlatformOrder``, ``PlatformParcel``): a repeat changes nothing, an
update updates the order and keeps its parcels' events, a snapshot older than the one applied is
skipped, a parcel that overtook its order waits for it, and a parcel the platform withdrew is removed
while no carrier has said anything about it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.discounts import discount_redemptions_record
from campaigns.models import Product
from integrations.couriers import carrier_for_courier
from integrations.models import PlatformOrder, PlatformParcel, ShopConnection
from integrations.types import OrderData, ParcelData
from shipments.models import Direction, Order
from shipments.services import order_upsert, shipment_add, shipment_withdraw
from shops.languages import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

WAITING_FOR_ORDER = "Waiting for its order to arrive from the platform."


@dataclass
class ApplyReport:
    """What applying one platform order did."""

    order_number: str = ""
    created: bool = False
    updated: bool = False
    skipped: str = ""  # why nothing was applied (an older snapshot), empty otherwise
    parcels_added: int = 0
    parcels_waiting: int = 0
    parcels_withdrawn: int = 0
    problems: list[str] = field(default_factory=list)


def _words(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


@transaction.atomic
def connection_order_apply(*, connection: ShopConnection, order_data: OrderData) -> ApplyReport:
    """Create or update the order ``order_data`` describes, with its parcels; see the module docstring.

    Raises ValidationError (nothing stored) when the order itself cannot be taken; a parcel that
    cannot is kept aside with its problem in plain words and the order is still imported.
    """
    report = ApplyReport()
    link = (
        PlatformOrder.objects.select_for_update()
        .select_related("order")
        .filter(connection=connection, platform_order_id=order_data.platform_order_id)
        .first()
    )
    if order_data.number is None:
        if link is None:
            report.parcels_waiting = _park(connection=connection, order_data=order_data)
            return report
        report.order_number = link.order.number
        _parcels_attach(connection=connection, order=link.order, order_data=order_data, report=report)
        _count(connection=connection, report=report)
        return report

    if link is not None and _older(order_data, link):
        report.order_number, report.skipped = link.order.number, "an older version of the order than the one we have"
        return report
    number = link.order.number if link is not None else f"{connection.order_number_prefix}{order_data.number}"
    if link is None:
        _refuse_foreign_number(connection=connection, number=number)
    fields = dict(order_data.fields)
    if not _email_ok(fields.get("customer_email", "")):
        report.problems.append(f"Order {order_data.number}: the customer's email is not valid; kept empty")
        fields["customer_email"] = ""
    # Platforms send a locale ("cs-CZ"); the order keeps our language when we speak it, else the shop's.
    language = str(fields.pop("locale", "") or "")[:2].lower()
    if language in SUPPORTED_LANGUAGES:
        fields["locale"] = language
    items = _with_catalog_facts(shop_id=connection.shop_id, items=order_data.items)
    order, created = order_upsert(shop=connection.shop, number=number, items=items, **fields)
    report.order_number, report.created, report.updated = order.number, created, not created
    if link is None:
        link = PlatformOrder.objects.create(
            connection=connection, platform_order_id=order_data.platform_order_id, order=order
        )
    link.platform_updated_at = order_data.updated_at or link.platform_updated_at
    link.save(update_fields=["platform_updated_at", "updated_at"])
    _parcels_attach(connection=connection, order=order, order_data=order_data, report=report)
    if order_data.discount_codes:
        _redemptions_record(connection=connection, order=order, codes=order_data.discount_codes, report=report)
    _count(connection=connection, report=report)
    return report


def _count(*, connection: ShopConnection, report: ApplyReport) -> None:
    ShopConnection.objects.filter(pk=connection.pk).update(
        orders_imported=F("orders_imported") + int(report.created),
        orders_updated=F("orders_updated") + int(report.updated),
        parcels_imported=F("parcels_imported") + report.parcels_added,
    )


def _with_catalog_facts(*, shop_id: int, items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Items with what the platform did not send (category, tags, image, page) from the shop's catalog, by SKU."""
    if not items:
        return items
    skus = {item["sku"] for item in items if item.get("sku")}
    products = {product.sku: product for product in Product.objects.filter(shop_id=shop_id, sku__in=skus)}
    enriched = []
    for item in items:
        product = products.get(item.get("sku", ""))
        if product is not None:
            catalog = {
                "category": product.category,
                "tags": product.tags,
                "image_url": product.image_url,
                "product_url": product.url,
            }
            item = {**item, **{name: value for name, value in catalog.items() if value and not item.get(name)}}
        enriched.append(item)
    return enriched


def _older(order_data: OrderData, link: PlatformOrder) -> bool:
    return bool(order_data.updated_at and link.platform_updated_at and order_data.updated_at < link.platform_updated_at)


def _email_ok(email: str) -> bool:
    if not email:
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _refuse_foreign_number(*, connection: ShopConnection, number: str) -> None:
    # An order of the same number from another store of the shop must not be overwritten.
    taken = PlatformOrder.objects.filter(order__shop=connection.shop, order__number=number).exclude(
        connection=connection
    )
    if taken.exists():
        raise ValidationError(
            {"number": f"Order {number} already came from another store; give this connection an order number prefix."}
        )


def _park(*, connection: ShopConnection, order_data: OrderData) -> int:
    waiting = 0
    for parcel in order_data.parcels:
        if not parcel.tracking_number:
            continue
        _, created = PlatformParcel.objects.get_or_create(
            connection=connection,
            platform_parcel_id=parcel.platform_parcel_id,
            defaults=_parcel_fields(order_data.platform_order_id, parcel) | {"problem": WAITING_FOR_ORDER},
        )
        waiting += int(created)
    return waiting


def _parcel_fields(platform_order_id: str, parcel: ParcelData) -> dict[str, Any]:
    return {
        "platform_order_id": platform_order_id,
        "platform_group_id": parcel.group_id,
        "tracking_number": parcel.tracking_number,
        "courier": parcel.courier[:120],
        "is_return": parcel.is_return,
    }


def _parcels_attach(*, connection: ShopConnection, order: Order, order_data: OrderData, report: ApplyReport) -> None:
    """Add the snapshot's parcels, those that waited for this order, and withdraw what the platform dropped."""
    known = {
        row.platform_parcel_id: row
        for row in PlatformParcel.objects.select_for_update().filter(
            connection=connection, platform_order_id=order_data.platform_order_id
        )
    }
    listed = set()
    for parcel in order_data.parcels:
        if not parcel.tracking_number:
            continue  # a package without a number yet: it comes back with one
        listed.add(parcel.platform_parcel_id)
        row = known.get(parcel.platform_parcel_id)
        if row is not None and row.shipment_id and row.withdrawn_at is None:
            if row.tracking_number == parcel.tracking_number:
                continue
            _withdraw(row, report)  # the number was corrected on the platform: the new one replaces it
        if row is None:
            row = PlatformParcel(connection=connection, platform_parcel_id=parcel.platform_parcel_id)
        for name, value in _parcel_fields(order_data.platform_order_id, parcel).items():
            setattr(row, name, value)
        _shipment_make(row=row, order=order, carrier=parcel.carrier, order_data=order_data, report=report)
    for row in known.values():
        if row.platform_parcel_id in listed or row.withdrawn_at is not None:
            continue
        if row.shipment_id is None and row.problem == WAITING_FOR_ORDER:
            _shipment_make(row=row, order=order, carrier=None, order_data=order_data, report=report)
        elif order_data.parcels_complete:
            _withdraw(row, report)


def _shipment_make(
    *, row: PlatformParcel, order: Order, carrier: str | None, order_data: OrderData, report: ApplyReport
) -> None:
    row.withdrawn_at, row.problem, row.shipment = None, "", None
    try:
        with transaction.atomic():
            row.shipment = shipment_add(
                order=order,
                tracking_number=row.tracking_number,
                carrier=carrier or _carrier_of(row),
                direction=Direction.RETURN if row.is_return else Direction.OUTBOUND,
                pickup_point=None if row.is_return else order_data.pickup_point,
            )
        report.parcels_added += 1
    except ValidationError as error:
        row.problem = f"Parcel {row.tracking_number} ({row.courier or 'no courier named'}): {_words(error)}"[:300]
        report.problems.append(row.problem)
    row.save()


def _carrier_of(row: PlatformParcel) -> str | None:
    return carrier_for_courier(row.courier)


def _withdraw(row: PlatformParcel, report: ApplyReport) -> None:
    if row.shipment_id is None or shipment_withdraw(shipment_id=row.shipment_id):
        row.shipment = None
        report.parcels_withdrawn += 1
    else:
        report.problems.append(
            f"Parcel {row.tracking_number} was removed on the platform but the carrier already has it; kept here."
        )
    row.withdrawn_at = timezone.now()
    row.save()


def _redemptions_record(
    *, connection: ShopConnection, order: Order, codes: tuple[str, ...], report: ApplyReport
) -> None:
    rows = [
        {
            "code": code,
            "order_number": order.number,
            "amount": order.total_amount,
            "currency": order.currency,
            "redeemed_at": order.placed_at,
            "customer_email": order.customer_email,
        }
        for code in codes
    ]
    result = discount_redemptions_record(shop=connection.shop, rows=rows)
    report.problems.extend(f"Discount code {codes}: {error.message}" for error in result.errors)
