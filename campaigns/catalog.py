"""The shop's product catalog: bulk create-or-update by SKU from uploaded rows, all or nothing."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Product
from campaigns.rows import (
    MAX_BULK_ROWS,
    BulkResult,
    RowError,
    cell_text,
    check_url,
    parse_bool,
    parse_decimal,
    tags_of,
)
from shops.models import Shop

PRODUCT_FIELDS = ("name", "url", "image_url", "price", "currency", "category", "tags", "active")


def _product_values(row: Mapping[str, Any], errors: list[RowError], number: int) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    before = len(errors)

    def problem(field_name: str, message: str) -> None:
        errors.append(RowError(number, field_name, message))

    sku = cell_text(row, "sku")
    if not sku:
        problem("sku", "is required")
    elif len(sku) > 64:
        problem("sku", "is longer than 64 characters")
    values["sku"] = sku
    name = cell_text(row, "name")
    if not name:
        problem("name", "is required")
    elif len(name) > 255:
        problem("name", "is longer than 255 characters")
    values["name"] = name
    for url_field, required in (("url", True), ("image_url", False)):
        try:
            values[url_field] = check_url(cell_text(row, url_field), required=required)
        except ValueError as error:
            problem(url_field, str(error))
    try:
        values["price"] = parse_decimal(row.get("price"))
    except ValueError as error:
        problem("price", str(error))
    currency = cell_text(row, "currency").upper()
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        problem("currency", f"{currency!r} is not a three-letter code like PLN")
    values["currency"] = currency
    category = cell_text(row, "category").lower()
    if len(category) > 120:
        problem("category", "is longer than 120 characters")
    values["category"] = category
    values["tags"] = tags_of(row.get("tags"))
    if len(values["tags"]) > 500:
        problem("tags", "are longer than 500 characters together")
    try:
        values["active"] = parse_bool(row.get("active"), default=True)
    except ValueError as error:
        problem("active", str(error))
    return values if len(errors) == before else None


def product_bulk_upsert(*, shop: Shop, rows: Iterable[Mapping[str, Any]], dry_run: bool = False) -> BulkResult:
    """Create or update ``shop``'s products by SKU from ``rows``, all or nothing.

    Each row: sku, name, url (required); image_url, price, currency, category, tags (comma-separated
    or a list), active (default true). Products not in ``rows`` are left alone.
    """
    result = BulkResult(dry_run=dry_run)
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if number > MAX_BULK_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_BULK_ROWS} rows per upload"))
            break
        values = _product_values(row, result.errors, number)
        if values is None:
            continue
        if values["sku"] in seen:
            result.errors.append(RowError(number, "sku", f"{values['sku']!r} is already in row {seen[values['sku']]}"))
            continue
        seen[values["sku"]] = number
        parsed.append(values)
    if result.errors:
        return result

    with transaction.atomic():
        existing = {
            product.sku: product
            for product in Product.objects.select_for_update().filter(shop=shop, sku__in=[v["sku"] for v in parsed])
        }
        to_create, to_update = [], []
        for values in parsed:
            product = existing.get(values["sku"])
            if product is None:
                to_create.append(Product(shop=shop, **values))
            elif any(getattr(product, name) != values[name] for name in PRODUCT_FIELDS):
                for name in PRODUCT_FIELDS:
                    setattr(product, name, values[name])
                to_update.append(product)
            else:
                result.unchanged += 1
        result.created, result.updated = len(to_create), len(to_update)
        if dry_run:
            return result
        now = timezone.now()
        for product in to_update:
            product.updated_at = now
        Product.objects.bulk_create(to_create, batch_size=500)
        Product.objects.bulk_update(to_update, [*PRODUCT_FIELDS, "updated_at"], batch_size=500)
    return result
