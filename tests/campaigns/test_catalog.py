"""Catalog bulk upsert (API and CSV): per-row errors, all or nothing, dry run."""

from decimal import Decimal

import pytest

from campaigns.catalog import product_bulk_upsert
from campaigns.csv_import import PRODUCT_COLUMNS, csv_rows
from campaigns.models import Product
from campaigns.rows import RowError
from tests.campaigns.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _row(sku="MUG-1", **overrides):
    return {"sku": sku, "name": "Mug", "url": f"https://shop.example/{sku.lower()}", **overrides}


def test_new_products_are_created_with_normalized_category_and_tags(shop):
    result = product_bulk_upsert(
        shop=shop,
        rows=[_row(price="49,90", currency="pln", category=" Mugs ", tags="Gift; Ceramic", active="no")],
    )

    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 0, 0, [])
    product = Product.objects.get(shop=shop, sku="MUG-1")
    assert (product.price, product.currency, product.category, product.tags, product.active) == (
        Decimal("49.90"),
        "PLN",
        "mugs",
        ",gift,ceramic,",
        False,
    )


def test_existing_products_are_updated_and_unchanged_ones_counted(shop):
    ProductFactory(
        shop=shop,
        sku="A",
        name="Old",
        url="https://shop.example/a",
        image_url="",
        price=None,
        currency="",
        category="",
        tags="",
    )
    ProductFactory(
        shop=shop,
        sku="B",
        name="Same",
        url="https://shop.example/b",
        image_url="",
        price=None,
        currency="",
        category="",
        tags="",
    )

    result = product_bulk_upsert(
        shop=shop,
        rows=[
            {"sku": "A", "name": "New", "url": "https://shop.example/a"},
            {"sku": "B", "name": "Same", "url": "https://shop.example/b"},
        ],
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert Product.objects.get(shop=shop, sku="A").name == "New"


def test_one_bad_row_stores_nothing_and_reports_each_problem(shop):
    ProductFactory(shop=shop, sku="KEEP", name="Kept")

    result = product_bulk_upsert(
        shop=shop,
        rows=[
            _row("OK-1"),
            {"sku": "", "name": "No sku", "url": "https://shop.example/x"},
            _row("OK-2", url="javascript:alert(1)", price="-3"),
            _row("OK-1"),
            _row("KEEP", name=""),
        ],
    )

    assert result.errors == [
        RowError(2, "sku", "is required"),
        RowError(3, "url", "'javascript:alert(1)' is not an http(s) URL"),
        RowError(3, "price", "'-3' must be zero or more"),
        RowError(4, "sku", "'OK-1' is already in row 1"),
        RowError(5, "name", "is required"),
    ]
    assert list(Product.objects.filter(shop=shop).values_list("sku", "name")) == [("KEEP", "Kept")]


def test_dry_run_reports_but_stores_nothing(shop):
    result = product_bulk_upsert(shop=shop, rows=[_row("A"), _row("B")], dry_run=True)

    assert (result.created, result.ok, result.written) == (2, True, False)
    assert Product.objects.count() == 0


def test_products_of_another_shop_are_never_touched(shop, other_shop):
    foreign = ProductFactory(shop=other_shop, sku="SAME", name="Foreign")

    product_bulk_upsert(shop=shop, rows=[_row("SAME", name="Mine")])

    foreign.refresh_from_db()
    assert foreign.name == "Foreign"
    assert Product.objects.get(shop=shop, sku="SAME").name == "Mine"


def test_csv_with_bom_and_semicolons_is_read():
    raw = "\ufeffSKU;Name;URL;Price\nA-1;Kubek;https://shop.example/a;12,50\n;;;\n".encode()

    parsed = csv_rows(raw=raw, required=("sku", "name", "url"), known=PRODUCT_COLUMNS)

    assert parsed.errors == []
    assert parsed.rows == [{"sku": "A-1", "name": "Kubek", "url": "https://shop.example/a", "price": "12,50"}]


def test_csv_in_windows_1250_is_read():
    raw = "sku,name,url\nZ-1,Żółty kubek,https://shop.example/z\n".encode("cp1250")

    parsed = csv_rows(raw=raw, required=("sku", "name", "url"), known=PRODUCT_COLUMNS)

    assert parsed.rows[0]["name"] == "Żółty kubek"


def test_csv_header_problems_are_reported():
    raw = b"sku,title,colour\nA,B,C\n"

    parsed = csv_rows(raw=raw, required=("sku", "name", "url"), known=PRODUCT_COLUMNS)

    assert parsed.rows == []
    assert [str(error) for error in parsed.errors] == [
        "row 0, header: missing column(s): name, url",
        "row 0, header: unknown column(s): title, colour (known: "
        "sku, name, url, image_url, price, currency, category, tags, active)",
    ]
