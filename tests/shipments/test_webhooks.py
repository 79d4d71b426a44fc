"""Carrier push webhooks: signed, parsed, fed to the apply service, repeat-safe."""

import json

import pytest
from django.test import Client

from shipments.models import StatusChange, TrackingEvent
from shipments.webhooks import MAX_BODY_BYTES, SIGNATURE_HEADER, signature_for
from tests.factories import OrderFactory, ShipmentFactory
from tests.shipments.factories import CarrierAccountFactory

pytestmark = pytest.mark.django_db

SECRET = "push-secret-0123456789"
NUMBER = "620000000000000000000042"


@pytest.fixture
def shipment(shop):
    CarrierAccountFactory(shop=shop, carrier="inpost", webhook_secret=SECRET)
    return ShipmentFactory(order=OrderFactory(shop=shop), tracking_number=NUMBER)


def push(shop, body, *, secret=SECRET, carrier="inpost", signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {SIGNATURE_HEADER: signature if signature is not None else signature_for(secret, raw)}
    return Client().post(
        f"/webhooks/carriers/{carrier}/{shop.slug}/", raw, content_type="application/json", headers=headers
    )


INPOST_PUSH = {
    "event_ts": "2026-11-04 10:38:23 +0100",
    "event": "shipment_status_changed",
    "organization_id": 1,
    "payload": {"shipment_id": 49, "status": "out_for_delivery", "tracking_number": NUMBER},
}


def test_an_inpost_push_is_applied(shop, shipment, django_capture_on_commit_callbacks, monkeypatch):
    # given a signed InPost status push
    from config.celery import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, **kwargs: sent.append(name))

    # when it arrives
    with django_capture_on_commit_callbacks(execute=True):
        response = push(shop, INPOST_PUSH)

    # then the event is stored from the push and the status moved
    assert response.status_code == 200
    assert response.json() == {"applied": 1, "status_changed": 1, "unknown_numbers": []}
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    stored = shipment.events.get()
    assert (stored.raw_code, stored.source, stored.occurred_at.isoformat()) == (
        "out_for_delivery",
        "push",
        "2026-11-04T09:38:23+00:00",
    )
    assert sent == ["notifications.process_status_change", "api.status_change_webhooks"]


def test_a_repeated_push_changes_nothing(shop, shipment):
    # given a push already applied
    push(shop, INPOST_PUSH)
    shipment.order.refresh_from_db()
    version = shipment.order.version

    # when the carrier sends it again
    response = push(shop, INPOST_PUSH)

    # then nothing new is stored
    assert response.json() == {"applied": 1, "status_changed": 0, "unknown_numbers": []}
    assert TrackingEvent.objects.count() == 1
    assert StatusChange.objects.count() == 1
    shipment.order.refresh_from_db()
    assert shipment.order.version == version


def test_a_generic_push_with_several_events(shop, shipment):
    # given the generic shape with verbatim texts and an ETA
    body = {
        "tracking_number": NUMBER,
        "events": [
            {"occurred_at": "2026-11-03T08:00:00", "code": "collected_from_sender", "text": "Odebrana od nadawcy"},
            {"occurred_at": "2026-11-03T20:00:00+01:00", "code": "adopted_at_sorting_center", "location": "KRA"},
        ],
        "eta_to": "2026-11-05T18:00:00+01:00",
    }

    # when pushed
    response = push(shop, body)

    # then both events are stored verbatim, naive times read in the carrier's zone
    assert response.status_code == 200
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    assert shipment.eta_to.isoformat() == "2026-11-05T17:00:00+00:00"
    assert list(shipment.events.values_list("raw_code", "text", "location")) == [
        ("collected_from_sender", "Odebrana od nadawcy", ""),
        ("adopted_at_sorting_center", "", "KRA"),
    ]
    assert shipment.events.first().occurred_at.isoformat() == "2026-11-03T07:00:00+00:00"


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, signature_for("wrong-secret", json.dumps(INPOST_PUSH).encode())],
)
def test_a_bad_signature_is_401_and_stores_nothing(shop, shipment, signature):
    response = push(shop, INPOST_PUSH, signature=signature)

    assert response.status_code == 401
    assert TrackingEvent.objects.count() == 0
    shipment.refresh_from_db()
    assert shipment.status == "pending"


def test_an_unknown_shop_or_a_shop_without_secret_is_401_alike(shop, other_shop, shipment):
    # given another shop with an account but no push secret
    CarrierAccountFactory(shop=other_shop, carrier="inpost", webhook_secret="")

    # then pushes to it, and to no shop at all, are refused like a bad signature
    assert push(other_shop, INPOST_PUSH, secret="").status_code == 401
    nobody = type("Nobody", (), {"slug": "no-such-shop"})()
    assert push(nobody, INPOST_PUSH).status_code == 401
    assert TrackingEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not JSON"),
        ([1, 2], "body must be a JSON object"),
        ({"event": "shipment_status_changed", "payload": {"status": "delivered"}}, "payload.tracking_number"),
        ({"tracking_number": NUMBER, "events": []}, "events must be a non-empty list"),
        ({"tracking_number": NUMBER, "events": [{"code": "delivered", "occurred_at": "yesterday"}]}, "occurred_at"),
    ],
)
def test_a_malformed_body_is_400_with_a_reason_and_stores_nothing(shop, shipment, body, reason):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = push(shop, raw)

    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert reason in response.json()["reason"]
    assert TrackingEvent.objects.count() == 0


def test_unknown_numbers_are_reported_not_stored(shop, shipment):
    body = {**INPOST_PUSH, "payload": {"status": "delivered", "tracking_number": "699999999999999999999999"}}

    response = push(shop, body)

    assert response.json() == {"applied": 0, "status_changed": 0, "unknown_numbers": ["699999999999999999999999"]}
    assert TrackingEvent.objects.count() == 0


def test_too_large_unknown_carrier_and_get_are_refused(shop, shipment):
    too_large = json.dumps({"tracking_number": NUMBER, "padding": "x" * MAX_BODY_BYTES}).encode()

    assert push(shop, too_large).status_code == 413
    assert push(shop, INPOST_PUSH, carrier="nosuchcarrier").status_code == 404
    assert Client().get(f"/webhooks/carriers/inpost/{shop.slug}/").status_code == 405
    assert TrackingEvent.objects.count() == 0
