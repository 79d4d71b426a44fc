"""The services behind every connector: number collisions between stores, invalid input, the beat task."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import Product
from integrations.models import PlatformOrder, ShopConnection, WebhookReceipt
from integrations.services import connection_order_apply
from integrations.sync import connection_sync
from integrations.tasks import sync_due
from integrations.types import OrderData, ParcelData
from shipments.models import Order, Shipment

pytestmark = pytest.mark.django_db


def order(number="100", parcels=(), **fields):
    return OrderData(
        platform_order_id=f"p-{number}",
        number=number,
        fields={"customer_email": "a@example.com", "total_amount": Decimal("10.00"), **fields},
        items=[],
        parcels=tuple(parcels),
    )


def test_the_same_number_from_a_second_store_is_refused_until_it_has_a_prefix(shop, baselinker, woocommerce):
    # given order 100 from BaseLinker
    connection_order_apply(connection=baselinker, order_data=order())

    # when WooCommerce sends its own order 100
    with pytest.raises(ValidationError, match="prefix"):
        connection_order_apply(connection=woocommerce, order_data=order())

    # then nothing of it was stored; with a prefix it is its own order
    assert PlatformOrder.objects.filter(connection=woocommerce).count() == 0
    ShopConnection.objects.filter(pk=woocommerce.pk).update(order_number_prefix="W-")
    woocommerce.refresh_from_db()
    connection_order_apply(connection=woocommerce, order_data=order())
    assert sorted(Order.objects.values_list("number", flat=True)) == ["100", "W-100"]


def test_an_order_the_api_created_before_is_adopted_not_duplicated(shop, baselinker):
    # given order 100 created earlier through the API
    Order.objects.create(shop=shop, number="100", placed_at="2026-11-01T10:00:00Z")

    # when BaseLinker sends it
    report = connection_order_apply(connection=baselinker, order_data=order())

    # then it is the same order, updated
    assert report.updated and Order.objects.count() == 1


def test_an_invalid_email_keeps_the_order_and_says_so(shop, baselinker):
    report = connection_order_apply(connection=baselinker, order_data=order(customer_email="not-an-email"))
    assert Order.objects.get().customer_email == ""
    assert "not valid" in report.problems[0]


def test_a_parcel_number_corrected_on_the_platform_replaces_the_old_one(shop, baselinker):
    # given a parcel nobody tracked yet
    first = ParcelData(platform_parcel_id="1", tracking_number="620000000000000000000001", carrier="inpost")
    connection_order_apply(connection=baselinker, order_data=order(parcels=[first]))

    # when the platform corrects its number
    fixed = ParcelData(platform_parcel_id="1", tracking_number="620000000000000000000002", carrier="inpost")
    connection_order_apply(connection=baselinker, order_data=order(parcels=[fixed]))

    # then only the corrected number is tracked
    assert list(Shipment.objects.values_list("tracking_number", flat=True)) == ["620000000000000000000002"]


def test_the_beat_task_enqueues_polling_connections_only(shop, baselinker, shopify, woocommerce, monkeypatch):
    # given a paused WooCommerce connection
    ShopConnection.objects.filter(pk=woocommerce.pk).update(paused_until=timezone.now() + timedelta(hours=1))
    queued = []
    monkeypatch.setattr("integrations.tasks.sync_connection.delay", lambda **kwargs: queued.append(kwargs))

    # when the beat ticks
    sync_due()

    # then only BaseLinker (polling, not paused) is synced; Shopify sends webhooks
    assert queued == [{"connection_id": baselinker.pk}]


def test_items_get_category_tags_and_pictures_from_the_shops_catalog_by_sku(shop, baselinker):
    # given the shop's catalog knows the SKU
    Product.objects.create(
        shop=shop,
        sku="KUB-350",
        name="Kubek",
        url="https://shop.example/kubek",
        image_url="https://shop.example/kubek.jpg",
        category="Mugs",
        tags="gift, ceramic",
    )

    # when an order with that SKU and an unknown one arrives
    data = order()
    data = OrderData(
        platform_order_id=data.platform_order_id,
        number=data.number,
        fields=data.fields,
        items=[{"name": "Kubek", "sku": "KUB-350", "quantity": 1}, {"name": "Other", "sku": "X-1", "quantity": 1}],
    )
    connection_order_apply(connection=baselinker, order_data=data)

    # then the known item carries the catalog's facts, the other one stays as sent
    items = {item.sku: item for item in Order.objects.get().items.all()}
    assert (items["KUB-350"].category, items["KUB-350"].tags, items["KUB-350"].product_url) == (
        "mugs",
        "gift,ceramic",
        "https://shop.example/kubek",
    )
    assert (items["X-1"].category, items["X-1"].tags) == ("", "")


def test_a_second_sync_while_one_runs_is_skipped(baselinker):
    # given a sync holding the connection's lease
    ShopConnection.objects.filter(pk=baselinker.pk).update(sync_lease_until=timezone.now() + timedelta(minutes=1))

    # when another sync starts
    report = connection_sync(connection=baselinker)

    # then it does nothing (no call, cursor untouched)
    assert report.skipped == "another sync of this connection is running"
    baselinker.refresh_from_db()
    assert baselinker.cursor == "" and baselinker.last_sync_at is None


def test_the_beat_forgets_webhook_receipts_older_than_a_week(shopify, monkeypatch):
    # given a receipt of eight days ago and one of today
    old = WebhookReceipt.objects.create(connection=shopify, delivery_id="old", topic="orders/create")
    WebhookReceipt.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=8))
    WebhookReceipt.objects.create(connection=shopify, delivery_id="new", topic="orders/create")
    monkeypatch.setattr("integrations.tasks.sync_connection.delay", lambda **kwargs: None)

    # when the beat ticks
    sync_due()

    # then only today's is kept
    assert list(WebhookReceipt.objects.values_list("delivery_id", flat=True)) == ["new"]
