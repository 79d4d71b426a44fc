"""Orders and shipments through the API: ingestion, reads, filters, pagination, tenant isolation."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from shipments.models import Order, OrderItem, Shipment
from tests.factories import OrderFactory, ShipmentFactory, TrackingEventFactory

INPOST_NUMBER = "620000000000000000000123"
ORDER = {
    "number": "PF-1001",
    "customer_name": "Anna Kowalska",
    "customer_email": "anna@example.com",
    "shipping_country": "PL",
    "locale": "pl",
    "currency": "PLN",
    "total_amount": "249.00",
    "placed_at": "2026-11-02T10:30:00+01:00",
    "items": [{"sku": "MUG-1", "name": "Kubek", "quantity": 2, "unit_price": "49.00"}],
    "shipments": [{"tracking_number": INPOST_NUMBER}],
}


def test_create_order_with_detected_carrier(api, shop, settings):
    # when
    response = api.post("/orders", ORDER)
    # then
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get(shop=shop, number="PF-1001")
    assert body["tracking_url"] == f"{settings.PUBLIC_BASE_URL}/t/{order.public_token}"
    assert body["placed_at"] == "2026-11-02T09:30:00Z"
    assert body["items"] == [
        {"sku": "MUG-1", "name": "Kubek", "quantity": 2, "unit_price": "49.00", "image_url": "", "product_url": ""}
    ]
    [shipment] = body["shipments"]
    assert (shipment["carrier"], shipment["carrier_detected"], shipment["carrier_confidence"]) == ("inpost", True, 0.9)
    assert shipment["status"] == "pending"
    assert shipment["events"] == []


def test_update_order_replaces_items_and_keeps_shipments(api, shop):
    # given
    api.post("/orders", ORDER)
    # when
    response = api.post("/orders", {"number": "PF-1001", "customer_name": "Anna Nowak", "items": []})
    # then
    assert response.status_code == 200
    assert response.json()["customer_name"] == "Anna Nowak"
    assert OrderItem.objects.filter(order__shop=shop).count() == 0
    assert Shipment.objects.filter(shop=shop).count() == 1


def test_given_carrier_is_kept_without_confidence(api):
    # when
    response = api.post("/orders", {"number": "A-1", "shipments": [{"tracking_number": "12345", "carrier": "dpd"}]})
    # then
    [shipment] = response.json()["shipments"]
    assert (shipment["carrier"], shipment["carrier_detected"], shipment["carrier_confidence"]) == ("dpd", False, None)


def test_undetectable_carrier_is_422_with_candidates_and_nothing_stored(api, shop):
    # when
    response = api.post("/orders", {"number": "A-2", "shipments": [{"tracking_number": "12345678901"}]})
    # then
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "shipments[0].carrier"
    assert "Cannot tell the carrier" in error["message"]
    assert not Order.objects.filter(shop=shop).exists()


def test_bad_item_rolls_back_the_whole_order(api, shop):
    # when
    response = api.post("/orders", {**ORDER, "number": "A-3", "customer_email": "not-an-email", "shipments": []})
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "customer_email", "message": "Enter a valid email address."}]
    assert not Order.objects.filter(shop=shop).exists()


def test_unknown_carrier_is_422(api, shop):
    response = api.post("/orders", {"number": "A-4", "shipments": [{"tracking_number": "X1", "carrier": "pigeon"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "shipments[0].carrier"
    assert not Order.objects.filter(shop=shop).exists()


def test_naive_placed_at_is_refused(api, shop):
    response = api.post("/orders", {"number": "A-5", "placed_at": "2026-11-02T10:30:00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "placed_at"
    assert not Order.objects.filter(shop=shop).exists()


def test_read_order_with_shipments_and_events_newest_first(api, shop):
    # given
    order = OrderFactory(shop=shop, number="R-1")
    shipment = ShipmentFactory(order=order, status="in_transit")
    TrackingEventFactory(shipment=shipment, occurred_at=datetime(2026, 11, 3, 8, tzinfo=UTC), raw_code="first")
    TrackingEventFactory(shipment=shipment, occurred_at=datetime(2026, 11, 4, 8, tzinfo=UTC), raw_code="second")
    # when
    response = api.get("/orders/R-1")
    # then
    assert response.status_code == 200
    [shipment_body] = response.json()["shipments"]
    assert [event["raw_code"] for event in shipment_body["events"]] == ["second", "first"]
    assert shipment_body["status"] == "in_transit"


def test_read_unknown_order_is_404_problem(api):
    response = api.get("/orders/NOPE")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_add_shipment_to_order(api, shop):
    # given
    api.post("/orders", {"number": "S-1"})
    # when
    created = api.post("/orders/S-1/shipments", {"tracking_number": "RR123456785PL"})
    repeated = api.post("/orders/S-1/shipments", {"tracking_number": "RR123456785PL"})
    # then
    assert created.status_code == 201
    assert created.json()["carrier"] == "poczta_polska"
    assert created.json()["carrier_confidence"] == 0.97
    assert repeated.status_code == 200
    assert repeated.json()["id"] == created.json()["id"]
    assert Shipment.objects.filter(shop=shop).count() == 1


def test_add_shipment_to_unknown_order_is_404(api, shop):
    response = api.post("/orders/NOPE/shipments", {"tracking_number": INPOST_NUMBER})
    assert response.status_code == 404
    assert not Shipment.objects.exists()


def test_add_shipment_with_bad_direction_is_422(api):
    api.post("/orders", {"number": "S-2"})
    response = api.post("/orders/S-2/shipments", {"tracking_number": INPOST_NUMBER, "direction": "sideways"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "direction"
    assert not Shipment.objects.exists()


# --- tenant isolation -------------------------------------------------------------------------


def test_key_of_one_shop_never_reads_another_shops_order(api, other_api, other_shop):
    # given
    order = OrderFactory(shop=other_shop, number="SECRET-1")
    shipment = ShipmentFactory(order=order)
    # when
    by_number = api.get("/orders/SECRET-1")
    by_id = api.get(f"/shipments/{shipment.pk}")
    listing = api.get("/shipments")
    # then
    assert by_number.status_code == 404
    assert by_id.status_code == 404
    assert listing.json()["items"] == []
    assert other_api.get("/orders/SECRET-1").status_code == 200


def test_key_of_one_shop_never_writes_another_shops_order(api, other_shop):
    # given
    OrderFactory(shop=other_shop, number="SAME-1", customer_name="Theirs")
    # when
    created = api.post("/orders", {"number": "SAME-1", "customer_name": "Mine"})
    added = api.post("/orders/SAME-1/shipments", {"tracking_number": INPOST_NUMBER})
    # then: a separate order in our own shop; theirs is untouched
    assert created.status_code == 201
    assert added.status_code == 201
    theirs = Order.objects.get(shop=other_shop, number="SAME-1")
    assert theirs.customer_name == "Theirs"
    assert theirs.shipments.count() == 0


# --- listing ----------------------------------------------------------------------------------


def test_list_shipments_filters(api, shop):
    # given
    ShipmentFactory(order__shop=shop, status="delivered", carrier="inpost")
    ShipmentFactory(order__shop=shop, status="in_transit", carrier="dpd")
    ShipmentFactory(order__shop=shop, status="delivered", carrier="dpd")
    # when
    delivered = api.get("/shipments", {"status": "delivered"}).json()["items"]
    dpd = api.get("/shipments", {"carrier": "dpd"}).json()["items"]
    both = api.get("/shipments", {"carrier": "dpd", "status": "delivered"}).json()["items"]
    # then
    assert [item["status"] for item in delivered] == ["delivered", "delivered"]
    assert [item["carrier"] for item in dpd] == ["dpd", "dpd"]
    assert len(both) == 1


def test_list_shipments_updated_since(api, shop):
    # given
    with time_machine.travel(datetime(2026, 11, 1, 12, tzinfo=UTC)):
        ShipmentFactory(order__shop=shop, tracking_number="OLD")
    with time_machine.travel(datetime(2026, 11, 5, 12, tzinfo=UTC)):
        ShipmentFactory(order__shop=shop, tracking_number="NEW")
    # when
    items = api.get("/shipments", {"updated_since": "2026-11-03T00:00:00Z"}).json()["items"]
    # then
    assert [item["tracking_number"] for item in items] == ["NEW"]


def test_an_offset_no_place_has_is_a_clear_422_not_a_database_error(api, shop):
    # given: an offset Python accepts and PostgreSQL refuses (found by schemathesis as a 500)
    ShipmentFactory(order__shop=shop)
    # when
    response = api.get("/shipments", {"updated_since": "2175-06-03T19:19:25-19:33"})
    within = api.get("/shipments", {"updated_since": "2026-11-03T00:00:00+14:00"})
    # then
    assert response.status_code == 422
    assert "UTC offset" in response.text
    assert within.status_code == 200


def test_list_shipments_cursor_pagination_visits_each_once(api, shop):
    # given
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for index in range(5):
        with time_machine.travel(start + timedelta(minutes=index // 2), tick=False):  # ties on updated_at too
            ShipmentFactory(order__shop=shop, tracking_number=f"N{index}")
    # when
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/shipments", params).json()
        seen += [item["tracking_number"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then
    assert seen == ["N0", "N1", "N2", "N3", "N4"]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ:forged"])
def test_list_shipments_bad_cursor_is_422(api, cursor):
    response = api.get("/shipments", {"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "cursor", "message": "Invalid cursor."}]


def test_list_shipments_bad_filters_are_422(api):
    response = api.get("/shipments", {"status": "teleported", "limit": 0})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"status", "limit"}


def test_read_shipment_by_id(api, shop):
    shipment = ShipmentFactory(order__shop=shop)
    TrackingEventFactory(shipment=shipment)
    response = api.get(f"/shipments/{shipment.pk}")
    assert response.status_code == 200
    assert response.json()["tracking_number"] == shipment.tracking_number
    assert len(response.json()["events"]) == 1
