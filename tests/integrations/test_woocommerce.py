"""WooCommerce webhooks and REST back-fill at the HTTP seam: tracking plugins' meta, order, signatures, SSRF."""

import json

import httpx
import pytest
from django.test import Client

from integrations.models import ShopConnection, WebhookReceipt
from integrations.services import connection_order_apply
from integrations.sync import connection_sync
from integrations.types import OrderData
from shipments.models import Order, Shipment
from tests.integrations.conftest import fixture, raw_fixture, safe_client, signature

pytestmark = pytest.mark.django_db

SECRET = "woo-hook-secret"


def deliver(connection, topic, body, *, delivery_id, secret=SECRET, signed=None):
    headers = {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": signed if signed is not None else signature(secret, body),
        "X-WC-Webhook-ID": "14",
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Source": "https://shop.example.de/",
    }
    return Client().post(
        f"/webhooks/shops/woocommerce/{connection.public_id}/", body, content_type="application/json", headers=headers
    )


CREATED = raw_fixture("woocommerce", "order_created.json")
WITH_TRACKING = raw_fixture("woocommerce", "order_updated_shipment_tracking.json")
AST = raw_fixture("woocommerce", "order_updated_ast.json")


def test_order_created_then_updated_with_shipment_tracking_meta(woocommerce):
    # when WooCommerce sends the new order, then its update carrying a Shipment Tracking item
    created = deliver(woocommerce, "order.created", CREATED, delivery_id="d-1")
    updated = deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-2")

    # then one order exists with the customer and a DHL parcel from the tracking item
    assert (created.status_code, updated.status_code) == (200, 200)
    order = Order.objects.get()
    assert (
        order.number,
        order.customer_email,
        order.customer_name,
        order.shipping_country,
        str(order.total_amount),
    ) == (
        "3312",
        "lukas.becker@example.com",
        "Lukas Becker",
        "DE",
        "64.80",
    )
    assert list(order.shipments.values_list("carrier", "tracking_number")) == [("dhl", "00340434161094042557")]


def test_advanced_shipment_tracking_items_use_the_provider_slug(woocommerce):
    # when an order with two AST tracking items arrives
    deliver(woocommerce, "order.updated", AST, delivery_id="d-1")

    # then both parcels are tracked, the GLS one by its provider slug (its number says nothing)
    assert sorted(Shipment.objects.values_list("carrier", "tracking_number")) == [
        ("dhl", "00340434161094042557"),
        ("gls", "ZX9K4P7Q"),
    ]


def test_an_older_update_arriving_late_changes_nothing(woocommerce):
    # given the newest version applied (with tracking)
    deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-2")
    version = Order.objects.get().version

    # when the older "created" version arrives after it
    late = deliver(woocommerce, "order.created", CREATED, delivery_id="d-1")

    # then it is skipped: the parcel stays, the order is untouched
    assert late.json()["skipped"] == ["an older version of the order than the one we have"]
    assert Shipment.objects.count() == 1
    assert Order.objects.get().version == version


def test_a_tracking_item_removed_on_the_shop_is_withdrawn(woocommerce):
    # given an order with a tracking number nobody tracked yet
    deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-1")

    # when a newer update lists no tracking items
    document = json.loads(WITH_TRACKING)
    document["date_modified_gmt"] = "2026-11-30T09:00:00"
    document["meta_data"][-1]["value"] = []
    deliver(woocommerce, "order.updated", json.dumps(document).encode(), delivery_id="d-2")

    # then the parcel is gone
    assert Shipment.objects.count() == 0


def test_forged_signature_is_refused_and_changes_nothing(woocommerce):
    forged = deliver(woocommerce, "order.created", CREATED, delivery_id="d-1", secret="wrong")
    tampered = deliver(
        woocommerce, "order.created", CREATED + b" ", delivery_id="d-2", signed=signature(SECRET, CREATED)
    )
    assert (forged.status_code, tampered.status_code) == (401, 401)
    assert Order.objects.count() == 0


def test_the_unsigned_ping_on_webhook_creation_is_answered_and_changes_nothing(woocommerce):
    response = Client().post(
        f"/webhooks/shops/woocommerce/{woocommerce.public_id}/",
        b"webhook_id=14",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Order.objects.count() == 0


def test_a_repeated_delivery_is_applied_once(woocommerce):
    deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-1")
    again = deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-1")
    assert again.json()["duplicate"] is True
    assert (Order.objects.count(), Shipment.objects.count()) == (1, 1)


def test_rest_back_fill_reads_orders_modified_since_the_cursor(woocommerce):
    # given the shop's REST API with two orders
    asked = []

    def store(request):
        asked.append((request.url.path, dict(request.url.params), request.headers["Authorization"]))
        rows = [
            fixture("woocommerce", "order_updated_shipment_tracking.json"),
            fixture("woocommerce", "order_updated_ast.json"),
        ]
        return httpx.Response(200, json=rows)

    # when the back-fill runs
    report = connection_sync(connection=woocommerce, client=safe_client(store))

    # then both orders are imported with their parcels, with the consumer key over HTTP Basic
    assert sorted(report.orders_created) == ["3312", "3313"]
    assert Shipment.objects.count() == 3
    path, params, authorization = asked[0]
    assert path == "/wp-json/wc/v3/orders"
    assert params["orderby"] == "modified" and params["order"] == "asc"
    assert authorization.startswith("Basic ")
    woocommerce.refresh_from_db()
    assert woocommerce.cursor.startswith("2026-11-30T08:05:10")


def test_a_store_address_that_resolves_to_an_internal_host_is_never_called(woocommerce):
    # given a store URL whose name resolves to a private address
    called = []
    client = safe_client(lambda request: called.append(request) or httpx.Response(200, json=[]), resolved="10.0.0.5")

    # when the back-fill runs
    report = connection_sync(connection=woocommerce, client=client)

    # then nothing was requested and the owner reads why
    assert called == []
    assert "private address" in report.problems[0]
    woocommerce.refresh_from_db()
    assert "private address" in woocommerce.last_error


def test_refused_consumer_key_pauses_the_connection(woocommerce):
    report = connection_sync(connection=woocommerce, client=safe_client(lambda request: httpx.Response(401, json={})))
    woocommerce.refresh_from_db()
    assert woocommerce.paused_until is not None
    assert "refused the credentials" in report.problems[0]


def test_tenant_isolation_one_shops_webhook_never_reaches_another(woocommerce, other_shop):
    # given shop B's WooCommerce connection with the same order number
    other = ShopConnection.objects.create(
        shop=other_shop, platform="woocommerce", name="B", store_url="https://b.example", webhook_secret="b-secret"
    )

    # when both stores send order 3312
    deliver(woocommerce, "order.created", CREATED, delivery_id="d-1")
    deliver(other, "order.created", CREATED, delivery_id="d-1", secret="b-secret")

    # then each shop has its own order, and B's secret cannot write into A
    assert sorted(Order.objects.values_list("shop_id", "number")) == sorted(
        [(woocommerce.shop_id, "3312"), (other_shop.pk, "3312")]
    )
    assert deliver(woocommerce, "order.updated", WITH_TRACKING, delivery_id="d-9", secret="b-secret").status_code == 401


def test_an_order_that_cannot_be_taken_is_422_stores_nothing_and_tells_the_owner(woocommerce, baselinker):
    # given order 3312 already came from the shop's BaseLinker
    connection_order_apply(connection=baselinker, order_data=OrderData(platform_order_id="1", number="3312"))

    # when WooCommerce sends its own order 3312
    response = deliver(woocommerce, "order.created", CREATED, delivery_id="d-1")

    # then it is refused (the platform retries), nothing of it is stored, and the admin says what to do
    assert response.status_code == 422
    assert Order.objects.count() == 1 and WebhookReceipt.objects.count() == 0
    woocommerce.refresh_from_db()
    assert "prefix" in woocommerce.last_problems


def test_a_parcel_whose_carrier_cannot_be_told_is_named_in_the_connections_errors(woocommerce):
    # given an order whose tracking item names no courier we know and a number nobody recognises
    document = json.loads(WITH_TRACKING)
    document["meta_data"][-1]["value"][0].update(custom_tracking_provider="Kurier Zenek", tracking_number="ABC-1")

    # when it arrives
    response = deliver(woocommerce, "order.updated", json.dumps(document).encode(), delivery_id="d-1")

    # then the order is imported, the parcel is not guessed, and the owner reads why
    assert response.status_code == 200
    assert Order.objects.count() == 1 and Shipment.objects.count() == 0
    woocommerce.refresh_from_db()
    assert "Cannot tell the carrier of 'ABC-1'" in woocommerce.last_problems
