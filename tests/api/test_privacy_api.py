"""POST /customers/erase and GET /customers/export: the key's shop only, problem JSON errors, idempotent."""

import pytest

from shipments.models import Order
from shops.models import PrivacyRequest
from shops.privacy import subject_hash
from tests.shops.privacy_fixtures import customer_footprint, tables_containing

pytestmark = pytest.mark.django_db

EMAIL = "api.customer@example.com"


@pytest.fixture
def customer(shop):
    return customer_footprint(shop, email=EMAIL, name="Adam Apiowski", phone="+48 800 100 200")


def test_erase_removes_the_customer_and_answers_with_the_hash(api, shop, customer, issued_key):
    # when the shop's developer erases the customer, with an idempotency key
    response = api.post("/customers/erase", {"email": EMAIL.upper()}, headers={"Idempotency-Key": "erase-1"})

    # then the customer is nowhere, the response names them by hash only, and the API key is the actor
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == subject_hash(EMAIL)
    assert body["erased"]["shipments.Order"] == 1
    assert tables_containing(EMAIL) == {}
    assert tables_containing("Adam Apiowski") == {}
    audit = PrivacyRequest.objects.get(kind="erase")
    assert (audit.shop_id, audit.actor_label) == (shop.pk, f"API key pf_{issued_key.api_key.prefix}")


def test_erase_replays_under_the_same_key_and_a_new_erase_finds_nothing(api, customer):
    # given a first erasure
    first = api.post("/customers/erase", {"email": EMAIL}, headers={"Idempotency-Key": "erase-2"})

    # when it is repeated with the same key, then with another key
    replay = api.post("/customers/erase", {"email": EMAIL}, headers={"Idempotency-Key": "erase-2"})
    again = api.post("/customers/erase", {"email": EMAIL}, headers={"Idempotency-Key": "erase-3"})

    # then the replay is the first response, and the new request has nothing left to erase
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert again.json() == {"subject": subject_hash(EMAIL), "erased": {}}
    assert PrivacyRequest.objects.filter(kind="erase").count() == 2


def test_erase_through_one_shops_key_leaves_another_shop_alone(other_api, customer):
    # when another shop's key erases the same address
    response = other_api.post("/customers/erase", {"email": EMAIL})

    # then that shop had nothing, and this shop's customer is intact
    assert response.status_code == 200
    assert response.json()["erased"] == {}
    assert Order.objects.get(pk=customer.order.pk).customer_email == EMAIL


def test_export_returns_the_customers_data_of_the_keys_shop_only(api, other_api, other_shop, customer):
    # given the same address as a customer of the other shop too
    other = customer_footprint(other_shop, email=EMAIL, name="Other Shopper", phone="+48 800 999 999")

    # when each shop exports the address
    mine = api.get("/customers/export", {"email": EMAIL})
    theirs = other_api.get("/customers/export", {"email": EMAIL})

    # then each gets its own customer's rows only
    assert mine.status_code == 200
    assert [row["id"] for row in mine.json()["data"]["shipments.Order"]] == [customer.order.pk]
    assert "Other Shopper" not in mine.content.decode()
    assert [row["id"] for row in theirs.json()["data"]["shipments.Order"]] == [other.order.pk]
    assert "Adam Apiowski" not in theirs.content.decode()
    assert PrivacyRequest.objects.filter(kind="export").count() == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [({}, "email"), ({"email": "not-an-email"}, "email"), ({"email": EMAIL, "name": "x"}, "name")],
)
def test_export_refuses_bad_queries_with_problem_json(api, customer, query, field):
    # when the query is missing, invalid or has unknown parameters
    response = api.get("/customers/export", query)

    # then a 422 problem names the field, and nothing is exported or logged
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert PrivacyRequest.objects.count() == 0


def test_erase_refuses_an_invalid_body_and_changes_nothing(api, customer):
    # when the body has no valid email, or unknown fields
    bad_email = api.post("/customers/erase", {"email": "nope"})
    unknown = api.post("/customers/erase", {"email": EMAIL, "also": "this"})

    # then both are 422 problems and the customer is intact
    assert (bad_email.status_code, unknown.status_code) == (422, 422)
    assert unknown.json()["errors"] == [{"field": "also", "message": "Unknown field."}]
    assert Order.objects.get(pk=customer.order.pk).customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_without_a_key_nothing_is_exported_or_erased(anonymous_api, customer):
    # when an anonymous client calls both endpoints
    exported = anonymous_api.get("/customers/export", {"email": EMAIL})
    erased = anonymous_api.post("/customers/erase", {"email": EMAIL})

    # then both are 401 problems and nothing happened
    assert (exported.status_code, erased.status_code) == (401, 401)
    assert Order.objects.get(pk=customer.order.pk).customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0
