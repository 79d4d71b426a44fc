"""Shopify webhooks at the HTTP seam: signed, repeat-safe, out of order, forged refused; delivered written back."""

import json
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import DiscountRedemption
from integrations.models import PlatformParcel, ShopConnection, WebhookReceipt
from integrations.sync import connection_sync, connections_due
from shipments.models import Order, Shipment
from tests.campaigns.factories import DiscountPoolFactory
from tests.integrations.conftest import raw_fixture, safe_client, signature

pytestmark = pytest.mark.django_db

SECRET = "shopify-app-secret"


def deliver(connection, topic, body, *, webhook_id, secret=SECRET, hmac_value=None, connection_id=None):
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-SHA256": hmac_value if hmac_value is not None else signature(secret, body),
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": "keramika.myshopify.com",
    }
    return Client().post(
        f"/webhooks/shops/shopify/{connection_id or connection.public_id}/",
        body,
        content_type="application/json",
        headers=headers,
    )


ORDER = raw_fixture("shopify", "orders_create.json")
FULFILLMENT = raw_fixture("shopify", "fulfillments_create.json")
FULFILLMENT_UPDATE = raw_fixture("shopify", "fulfillments_update.json")


def test_an_order_webhook_creates_the_order(shopify):
    # when Shopify sends orders/create
    response = deliver(shopify, "orders/create", ORDER, webhook_id="w-1")

    # then the order exists with the customer, items and money as Shopify sent them
    assert response.status_code == 200
    order = Order.objects.get(shop=shopify.shop)
    assert (order.number, order.customer_email, order.shipping_country, order.currency) == (
        "1042",
        "eva.novakova@example.com",
        "CZ",
        "CZK",
    )
    assert (str(order.total_amount), order.email_marketing_consent, order.locale) == ("1290.00", True, "cs")
    assert list(order.items.values_list("sku", "quantity")) == [("HRN-350-M", 2)]


def test_a_forged_signature_is_refused_and_changes_nothing(shopify):
    # when a body arrives signed with another secret, or with the signature of another body
    forged = deliver(shopify, "orders/create", ORDER, webhook_id="w-1", secret="guess")
    swapped = deliver(shopify, "orders/create", ORDER, webhook_id="w-2", hmac_value=signature(SECRET, b"{}"))
    unsigned = deliver(shopify, "orders/create", ORDER, webhook_id="w-3", hmac_value="")

    # then each is refused with 401 and nothing is stored
    assert [forged.status_code, swapped.status_code, unsigned.status_code] == [401, 401, 401]
    assert Order.objects.count() == 0
    assert WebhookReceipt.objects.count() == 0


def test_an_unknown_or_turned_off_connection_answers_401_like_a_forgery(shopify):
    # given a turned-off connection
    ShopConnection.objects.filter(pk=shopify.pk).update(enabled=False)

    # when correctly signed webhooks arrive for it and for an id that does not exist
    off = deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    unknown = deliver(shopify, "orders/create", ORDER, webhook_id="w-1", connection_id="x" * 32)

    # then both are 401 and nothing is stored
    assert (off.status_code, unknown.status_code) == (401, 401)
    assert Order.objects.count() == 0


def test_a_repeated_delivery_is_applied_once(shopify):
    # given an applied order and fulfillment
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    version = Order.objects.get().version

    # when Shopify delivers both again (at least once), and the order again under a new delivery id
    again = deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    deliver(shopify, "orders/create", ORDER, webhook_id="w-9")

    # then there is one order and one parcel; the exact repeat was recognised as one
    assert again.json()["duplicate"] is True
    assert Order.objects.count() == 1
    assert list(Shipment.objects.values_list("carrier", "tracking_number")) == [("packeta", "Z1234567890")]
    assert Order.objects.get().version >= version


def test_a_fulfillment_before_its_order_waits_and_is_attached_when_the_order_comes(shopify):
    # when the fulfillment overtakes the order
    early = deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    assert early.json()["parcels_waiting"] == 1
    assert Shipment.objects.count() == 0
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")

    # then the parcel is tracked on the order once it arrived
    shipment = Shipment.objects.get()
    assert (shipment.order.number, shipment.carrier, shipment.tracking_number) == ("1042", "packeta", "Z1234567890")
    assert PlatformParcel.objects.get().problem == ""


def test_a_fulfillment_update_adds_the_new_tracking_number(shopify):
    # given an order with a fulfillment
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")

    # when the fulfillment is updated with a second number (tracking company "Zásilkovna")
    deliver(shopify, "fulfillments/update", FULFILLMENT_UPDATE, webhook_id="w-3")

    # then both numbers are tracked with Packeta, once each
    assert sorted(Shipment.objects.values_list("carrier", "tracking_number")) == [
        ("packeta", "Z1234567890"),
        ("packeta", "Z1234567891"),
    ]


def test_a_discount_code_we_gave_out_is_recorded_as_redeemed(shopify):
    # given the shop's shared campaign code
    DiscountPoolFactory(shop=shopify.shop, kind="shared", shared_code="THANKS-7KQ2")

    # when an order that used it arrives (twice)
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    deliver(shopify, "orders/create", ORDER, webhook_id="w-2")

    # then the redemption is recorded once with the order's revenue
    redemption = DiscountRedemption.objects.get()
    assert (redemption.code, redemption.order_number, str(redemption.amount)) == ("THANKS-7KQ2", "1042", "1290.00")


def test_a_body_that_is_not_json_is_refused_with_400_and_changes_nothing(shopify):
    body = b"not json"
    response = deliver(shopify, "orders/create", body, webhook_id="w-1")
    assert response.status_code == 400
    assert Order.objects.count() == 0 and WebhookReceipt.objects.count() == 0


def test_another_shops_connection_cannot_write_into_this_shop(shopify, other_shop):
    # given another shop's Shopify connection with its own secret
    other = ShopConnection.objects.create(
        shop=other_shop, platform="shopify", name="B", store_url="https://b.myshopify.com", webhook_secret="b-secret"
    )

    # when shop B's store sends an order, and someone replays it to A's URL with B's signature
    deliver(other, "orders/create", ORDER, webhook_id="w-1", secret="b-secret")
    replay = deliver(shopify, "orders/create", ORDER, webhook_id="w-1", secret="b-secret")

    # then the order is B's only, and A refused the replay
    assert replay.status_code == 401
    assert list(Order.objects.values_list("shop_id", flat=True)) == [other_shop.pk]


def test_delivered_state_is_sent_back_as_a_fulfillment_event_when_turned_on(shopify):
    # given a delivered parcel of a fulfillment and write-back turned on
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    Shipment.objects.update(status="delivered")
    ShopConnection.objects.filter(pk=shopify.pk).update(write_back_delivered=True)
    shopify.refresh_from_db()
    sent = []

    def store(request):
        sent.append((request.url.path, json.loads(request.content), request.headers["X-Shopify-Access-Token"]))
        return httpx.Response(201, json={"fulfillment_event": {"id": 1, "status": "delivered"}})

    # when the connection syncs twice
    connection_sync(connection=shopify, client=safe_client(store))
    connection_sync(connection=shopify, client=safe_client(store))

    # then Shopify got one delivered event for that fulfillment
    assert sent == [
        (
            "/admin/api/2025-01/orders/5821234567890/fulfillments/4930012345678/events.json",
            {"event": {"status": "delivered"}},
            "shpat_test",
        )
    ]


def test_a_body_over_the_limit_is_refused_with_413(shopify, settings):
    settings.INTEGRATIONS_MAX_WEBHOOK_BYTES = 100
    response = deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    assert response.status_code == 413
    assert Order.objects.count() == 0


def test_a_cancelled_fulfillment_adds_no_parcel(shopify):
    deliver(shopify, "orders/create", ORDER, webhook_id="w-1")
    cancelled = json.loads(FULFILLMENT)
    cancelled["status"] = "cancelled"
    deliver(shopify, "fulfillments/update", json.dumps(cancelled).encode(), webhook_id="w-2")
    assert Shipment.objects.count() == 0


def test_an_unknown_platform_in_the_address_is_404(shopify):
    response = Client().post(f"/webhooks/shops/magento/{shopify.public_id}/", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_an_order_of_an_unexpected_shape_is_400_and_changes_nothing(shopify):
    # given a correctly signed order whose line items are not a list of objects
    document = json.loads(ORDER)
    document["line_items"] = ["not an object"]
    body = json.dumps(document).encode()

    # when it arrives
    response = deliver(shopify, "orders/create", body, webhook_id="w-1")

    # then it is refused as malformed, nothing is stored and the admin says so
    assert response.status_code == 400
    assert Order.objects.count() == 0 and WebhookReceipt.objects.count() == 0
    shopify.refresh_from_db()
    assert "unexpected shape" in shopify.last_problems


def test_quantities_sent_as_text_are_read(shopify):
    document = json.loads(ORDER)
    document["line_items"][0]["quantity"] = "3"
    deliver(shopify, "orders/create", json.dumps(document).encode(), webhook_id="w-1")
    assert Order.objects.get().items.get().quantity == 3


def test_a_fulfillment_of_an_order_we_never_got_fetches_that_order(shopify):
    # given a fulfillment of an order placed before the shop connected (its orders/create never comes)
    deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    PlatformParcel.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    asked = []

    def store(request):
        asked.append(request.url.path)
        document = json.loads(ORDER)
        document["fulfillments"] = [json.loads(FULFILLMENT)]
        return httpx.Response(200, json={"order": document})

    # when the beat syncs the connection
    assert shopify.pk in [connection.pk for connection in connections_due()]
    report = connection_sync(connection=shopify, client=safe_client(store))

    # then the order was fetched once, and order and parcel exist once
    assert asked == ["/admin/api/2025-01/orders/5821234567890.json"]
    assert report.orders_created == ["1042"]
    assert list(Shipment.objects.values_list("order__number", "tracking_number")) == [("1042", "Z1234567890")]
    assert connection_sync(connection=shopify, client=safe_client(store)).skipped


def test_a_waiting_parcel_whose_order_is_gone_says_so(shopify):
    deliver(shopify, "fulfillments/create", FULFILLMENT, webhook_id="w-2")
    PlatformParcel.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    connection_sync(connection=shopify, client=safe_client(lambda request: httpx.Response(404, json={})))
    assert PlatformParcel.objects.get().problem == "Its order is not on the platform any more."
    assert Order.objects.count() == 0
