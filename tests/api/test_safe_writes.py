"""Auth, problem JSON, idempotency keys, refused bodies and rate limits."""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine

from api.models import IdempotencyRecord
from shipments.models import Order, Shipment
from shops.services import api_key_revoke

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def _assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("urn:parcelfront:problem:")
    assert all(set(error) == {"field", "message"} for error in body["errors"])
    return body


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer pf_0000000000_x", "Basic abc"])
def test_missing_or_wrong_key_is_401(anonymous_api, header):
    response = anonymous_api.get("/shipments", headers={"Authorization": header} if header else {})
    _assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401_and_writes_nothing(api, issued_key, shop):
    api_key_revoke(api_key=issued_key.api_key)
    response = api.post("/orders", {"number": "X-1"})
    _assert_problem(response, 401)
    assert not Order.objects.exists()


def test_last_use_is_recorded(api, issued_key):
    # given a frozen clock
    moment = datetime(2026, 11, 5, 9, 30, 15, tzinfo=UTC)
    # when the key is used
    with time_machine.travel(moment, tick=False):
        api.get("/shipments")
    # then the use is stored at exactly that moment
    issued_key.api_key.refresh_from_db()
    assert issued_key.api_key.last_used_at == moment


# --- problem JSON for bad bodies --------------------------------------------------------------


def test_unknown_field_is_refused_by_name(api):
    response = api.post("/orders", {"number": "U-1", "colour": "red", "items": [{"name": "A", "size": "L"}]})
    body = _assert_problem(response, 422)
    assert sorted(body["errors"], key=lambda error: error["field"]) == [
        {"field": "colour", "message": "Unknown field."},
        {"field": "items[0].size", "message": "Unknown field."},
    ]
    assert not Order.objects.exists()


def test_each_bad_field_is_named(api):
    response = api.post(
        "/orders", {"number": "", "total_amount": "-1", "currency": "zł", "items": [{"name": "A", "quantity": 0}]}
    )
    body = _assert_problem(response, 422)
    assert {error["field"] for error in body["errors"]} == {"number", "total_amount", "currency", "items[0].quantity"}


def test_malformed_json_is_400(api):
    response = api.post("/orders", raw=b'{"number": ')
    _assert_problem(response, 400)
    assert not Order.objects.exists()


def test_nul_characters_are_refused(api):
    response = api.post("/orders", {"number": "N-1", "customer_name": "a\u0000b"})
    body = _assert_problem(response, 422)
    assert body["errors"][0]["field"] == "customer_name"


def test_wrong_content_type_is_415(api):
    response = api.post("/orders", raw=b"number=1", content_type="application/x-www-form-urlencoded")
    _assert_problem(response, 415)
    assert not Order.objects.exists()


def test_oversized_body_is_413_and_nothing_stored(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"number": "BIG-1", "customer_name": "x" * 150, "items": [{"name": "y" * 200}] * 10}
    response = api.post("/orders", body)
    _assert_problem(response, 413)
    assert not Order.objects.exists()


def test_unknown_path_is_404_problem(api):
    _assert_problem(api.get("/no-such-thing"), 404)


def test_server_error_is_500_problem_without_internals(api, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("api.views.order_upsert", explode)
    api.client.raise_request_exception = False
    response = api.post("/orders", {"number": "E-1"})
    body = _assert_problem(response, 500)
    assert "hunter2" not in json.dumps(body)


# --- idempotency ------------------------------------------------------------------------------


def test_replay_returns_the_original_response_and_writes_once(api, shop):
    # given
    headers = {"Idempotency-Key": "order-PF-1"}
    first = api.post(
        "/orders", {"number": "I-1", "shipments": [{"tracking_number": "620000000000000000000001"}]}, headers=headers
    )
    # when (same body, keys in another order and spacing)
    raw = b'{ "shipments": [{"tracking_number": "620000000000000000000001"}], "number": "I-1" }'
    second = api.post("/orders", raw=raw, headers=headers)
    # then
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert Shipment.objects.count() == 1
    assert IdempotencyRecord.objects.filter(shop=shop, key="order-PF-1").count() == 1


def test_same_key_with_different_body_is_422(api):
    headers = {"Idempotency-Key": "k-2"}
    api.post("/orders", {"number": "I-2"}, headers=headers)
    response = api.post("/orders", {"number": "I-2", "customer_name": "Changed"}, headers=headers)
    body = _assert_problem(response, 422)
    assert body["errors"] == [{"field": "Idempotency-Key", "message": "Reused with a different request body or path."}]
    assert Order.objects.get(number="I-2").customer_name == ""


def test_same_key_on_another_path_is_422(api):
    headers = {"Idempotency-Key": "k-3"}
    api.post("/orders", {"number": "I-3"}, headers=headers)
    response = api.post("/orders/I-3/shipments", {"tracking_number": "620000000000000000000001"}, headers=headers)
    _assert_problem(response, 422)
    assert not Shipment.objects.exists()


def test_failed_request_stores_no_key_so_a_fixed_retry_works(api):
    headers = {"Idempotency-Key": "k-4"}
    failed = api.post("/orders", {"number": "I-4", "customer_email": "bad"}, headers=headers)
    fixed = api.post("/orders", {"number": "I-4", "customer_email": "ok@example.com"}, headers=headers)
    assert failed.status_code == 422
    assert fixed.status_code == 201
    assert not IdempotencyRecord.objects.filter(response_status=422).exists()


def test_keys_are_per_shop(api, other_api):
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/orders", {"number": "I-5"}, headers=headers)
    theirs = other_api.post("/orders", {"number": "I-5"}, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Order.objects.filter(number="I-5").count() == 2


def test_overlong_key_is_422(api):
    response = api.post("/orders", {"number": "I-6"}, headers={"Idempotency-Key": "k" * 256})
    _assert_problem(response, 422)
    assert not Order.objects.exists()


# --- rate limit -------------------------------------------------------------------------------


def test_rate_limit_per_key_with_retry_after(api, other_api, settings):
    # given
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    # when
    statuses = [api.get("/shipments").status_code for _ in range(3)]
    limited = api.get("/shipments")
    # then
    assert statuses == [200, 200, 200]
    _assert_problem(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert other_api.get("/shipments").status_code == 200  # another key has its own budget


def test_rate_limited_write_stores_nothing(api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    response = api.post("/orders", {"number": "RL-1"})
    _assert_problem(response, 429)
    assert not Order.objects.exists()


# --- documents --------------------------------------------------------------------------------


def test_openapi_document_lists_every_endpoint(anonymous_api):
    response = anonymous_api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    assert {
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/shipments",
        "/api/v1/shipments",
        "/api/v1/shipments/{shipment_id}",
    } <= set(document["paths"])


def test_docs_page_makes_no_third_party_requests(anonymous_api):
    page = anonymous_api.client.get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert '"validatorUrl": null' in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', html):
        assert anonymous_api.client.get(asset).status_code == 200


def test_wrong_method_is_405_problem(api):
    response = api.client.put(
        "/api/v1/orders", "{}", content_type="application/json", headers={"Authorization": f"Bearer {api.raw_key}"}
    )
    _assert_problem(response, 405)
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("raw", [b"[]", b"null", b"123", b'"order"'])
def test_body_that_is_not_an_object_is_422(api, raw):
    body = _assert_problem(api.post("/orders", raw=raw), 422)
    assert body["errors"] == [{"field": "", "message": "The body must be a JSON object."}]
    assert not Order.objects.exists()


def test_deeply_nested_json_is_400_not_a_crash(api):
    body = _assert_problem(api.post("/orders", raw=b"[" * 50000 + b"]" * 50000), 400)
    assert body["detail"] == "Cannot parse request body"
