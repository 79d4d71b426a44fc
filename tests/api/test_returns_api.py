"""Returns in the v1 API: scoped to the key's shop, the portal's rules, problem JSON, 409 on a wrong step."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from returns.models import PhotoRule, ReturnReason, ReturnRequest, ReturnRule, ReturnState
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def returnable(shop):
    ReturnRule.objects.create(shop=shop, window_days=14)
    ReturnReason.objects.create(shop=shop, code="size", label="Wrong size", photo=PhotoRule.OFF)
    order = OrderFactory(shop=shop, number="PF-API-1")
    OrderItemFactory(order=order, sku="MUG", name="Mug", quantity=2, unit_price=Decimal("49.00"))
    ShipmentFactory(order=order, status="delivered", delivered_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    return order


BODY = {
    "order_number": "PF-API-1",
    "items": [{"sku": "MUG", "quantity": 1, "reason": "size"}],
    "resolution": "refund",
    "method": "self_send",
}


def test_create_then_walk_the_lifecycle(api, returnable):
    created = api.post("/returns", BODY)
    assert created.status_code == 201
    return_id = created.json()["id"]
    assert created.json()["state"] == "requested"
    assert created.json()["items"] == [
        {
            "sku": "MUG",
            "name": "Mug",
            "quantity": 1,
            "received_quantity": 0,
            "reason": "size",
            "exchange_sku": "",
            "exchange_name": "",
        }
    ]

    assert api.post(f"/returns/{return_id}/approve").json()["state"] == "approved"
    received = api.post(f"/returns/{return_id}/receive", {"items": [{"sku": "MUG", "quantity": 1}]})
    assert received.json()["items"][0]["received_quantity"] == 1
    resolved = api.post(f"/returns/{return_id}/resolve", {"note": "Refunded 49.00"})
    assert (resolved.json()["state"], resolved.json()["resolution_note"]) == ("resolved", "Refunded 49.00")
    assert [row["id"] for row in api.get("/returns", {"state": "resolved"}).json()] == [return_id]


def test_quantity_too_high_is_problem_json_and_stores_nothing(api, returnable):
    response = api.post("/returns", {**BODY, "items": [{"sku": "MUG", "quantity": 3, "reason": "size"}]})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert {"field": "items[0].quantity", "message": "You can return at most 2 of this item."} in response.json()[
        "errors"
    ]
    assert ReturnRequest.objects.count() == 0


def test_a_wrong_step_is_a_conflict(api, returnable):
    return_id = api.post("/returns", BODY).json()["id"]

    response = api.post(f"/returns/{return_id}/resolve", {"note": ""})

    assert response.status_code == 409
    assert ReturnRequest.objects.get().state == ReturnState.REQUESTED


def test_reject_needs_a_reason(api, returnable):
    return_id = api.post("/returns", BODY).json()["id"]

    assert api.post(f"/returns/{return_id}/reject", {"reason": ""}).status_code == 422
    rejected = api.post(f"/returns/{return_id}/reject", {"reason": "Worn"})
    assert (rejected.json()["state"], rejected.json()["rejection_reason"]) == ("rejected", "Worn")


def test_another_shop_sees_none_of_it(api, other_api, returnable):
    return_id = api.post("/returns", BODY).json()["id"]

    assert other_api.get("/returns").json() == []
    assert other_api.get(f"/returns/{return_id}").status_code == 404
    assert other_api.post(f"/returns/{return_id}/approve").status_code == 404
    assert other_api.post("/returns", BODY).status_code == 404
    assert ReturnRequest.objects.get().state == ReturnState.REQUESTED


def test_the_webhook_sweep_emits_a_return_event_whose_publish_was_lost(api, returnable, shop):
    from datetime import timedelta

    from api.models import WebhookEvent
    from api.tasks import webhook_sweep

    # given a return whose return.requested publish never reached the broker (no on-commit run here)
    return_id = api.post("/returns", BODY).json()["id"]
    assert not WebhookEvent.objects.filter(shop=shop).exists()

    # when the sweep runs a minute later, twice
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        first = webhook_sweep()
        second = webhook_sweep()

    # then the event exists once, with the step's state
    event = WebhookEvent.objects.get(shop=shop)
    assert (first["returns"], second["returns"]) == (1, 0)
    assert (event.event_type, event.dedupe_key) == ("return.requested", f"return:{return_id}:requested")
    assert event.payload["data"]["state"] == "requested"


def test_an_exchange_names_a_catalog_product_of_the_shop(api, returnable, other_shop):
    from campaigns.models import Product

    Product.objects.create(shop=returnable.shop, sku="MUG-L", name="Mug, large", url="https://shop.test/mug-l")
    Product.objects.create(shop=other_shop, sku="FOREIGN", name="Foreign mug", url="https://other.test/m")
    exchange = {**BODY, "resolution": "exchange"}

    foreign = api.post("/returns", {**exchange, "items": [{**BODY["items"][0], "exchange_sku": "FOREIGN"}]})
    created = api.post("/returns", {**exchange, "items": [{**BODY["items"][0], "exchange_sku": "MUG-L"}]})

    assert foreign.status_code == 422
    assert {
        "field": "items[0].exchange",
        "message": "This product is not available for an exchange.",
    } in foreign.json()["errors"]
    assert created.status_code == 201
    assert (created.json()["items"][0]["exchange_sku"], created.json()["items"][0]["exchange_name"]) == (
        "MUG-L",
        "Mug, large",
    )
    assert ReturnRequest.objects.count() == 1
