"""Carrier push webhooks: signed, parsed, fed to the apply service, repeat-safe."""

import json

import httpx
import pytest
from django.test import Client

from carriers.registry import build_adapter
from carriers.types import CarrierConfig
from shipments.models import StatusChange, TrackingEvent, UnmappedCode
from shipments.tracking import shipment_apply_result
from shipments.webhooks import MAX_BODY_BYTES, SIGNATURE_HEADER, signature_for
from tests.factories import OrderFactory, ShipmentFactory
from tests.shipments.factories import CarrierAccountFactory

UPDATED_TASKS = ["watchlist.evaluate_shipment", "analytics.refresh_shipment"]

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
    assert sent == ["notifications.process_status_change", "api.status_change_webhooks", *UPDATED_TASKS]


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


def inpost_poll_answer(*details):
    """ShipX's tracking answer (details newest first) fetched through the InPost adapter."""
    answer = {
        "tracking_number": NUMBER,
        "service": "inpost_courier_standard",
        "custom_attributes": {},
        "tracking_details": [
            {"status": status, "origin_status": "", "agency": agency, "datetime": at} for status, agency, at in details
        ],
    }
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=answer)))
    return build_adapter("inpost", config=CarrierConfig(), client=client).fetch([NUMBER])[NUMBER]


def test_a_push_then_a_poll_of_the_same_scan_store_one_event_and_one_status_change(shop, shipment):
    # given InPost's push of a scan, applied
    push(shop, INPOST_PUSH)

    # when a later poll reports the same scan (with its agency and milliseconds) and an earlier one
    polled = inpost_poll_answer(
        ("out_for_delivery", "KRA", "2026-11-04T10:38:23.000+01:00"),
        ("adopted_at_sorting_center", "KRA", "2026-11-04T06:12:41.000+01:00"),
    )
    report = shipment_apply_result(shipment_id=shipment.pk, outcome=polled, source="poll")

    # then the scan is stored once (as pushed), only the earlier scan is new, and the status moved once
    assert (report.new_events, report.status_changed) == (1, False)
    assert list(shipment.events.values_list("raw_code", "source", "location")) == [
        ("adopted_at_sorting_center", "poll", "KRA"),
        ("out_for_delivery", "push", ""),
    ]
    assert list(StatusChange.objects.values_list("from_status", "to_status")) == [("pending", "out_for_delivery")]
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"


def test_a_poll_then_a_push_of_the_same_scan_store_one_event(shop, shipment):
    # given the scan polled first
    polled = inpost_poll_answer(("out_for_delivery", "KRA", "2026-11-04T10:38:23.000+01:00"))
    shipment_apply_result(shipment_id=shipment.pk, outcome=polled, source="poll")

    # when InPost's push of it arrives late
    response = push(shop, INPOST_PUSH)

    # then nothing new is stored
    assert response.json() == {"applied": 1, "status_changed": 0, "unknown_numbers": []}
    assert list(shipment.events.values_list("raw_code", "source", "location")) == [("out_for_delivery", "poll", "KRA")]
    assert StatusChange.objects.count() == 1


@pytest.fixture
def dhl_shipment(shop):
    CarrierAccountFactory(shop=shop, carrier="dhl", webhook_secret=SECRET)
    return ShipmentFactory(order=OrderFactory(shop=shop), carrier="dhl", tracking_number="00340434292135100124")


def test_a_carrier_without_a_push_format_refuses_a_foreign_body_and_stores_nothing(shop, dhl_shipment):
    response = push(shop, {**INPOST_PUSH, "payload": {"status": "delivered"}}, carrier="dhl")

    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert "DHL does not push in a format of its own" in response.json()["reason"]
    assert TrackingEvent.objects.count() == 0
    assert StatusChange.objects.count() == 0


def test_unrecognized_carrier_texts_are_counted_for_review_like_unmapped_codes(shop, dhl_shipment):
    # given relayed DHL events: a known phrasing, a sentence merely containing one, an unmapped code
    body = {
        "tracking_number": dhl_shipment.tracking_number,
        "events": [
            {"occurred_at": "2026-11-03T08:00:00+01:00", "code": "transit", "text": "Shipment picked up"},
            {
                "occurred_at": "2026-11-03T09:00:00+01:00",
                "code": "transit",
                "text": "Shipment is not out for delivery: line-haul delayed",
            },
            {"occurred_at": "2026-11-03T10:00:00+01:00", "code": "on-hold", "text": "On hold"},
        ],
    }

    # when pushed twice
    first = push(shop, body, carrier="dhl")
    push(shop, body, carrier="dhl")

    # then the unrecognized sentence kept the code's status and is counted once, beside the unmapped code
    assert first.json() == {"applied": 1, "status_changed": 1, "unknown_numbers": []}
    dhl_shipment.refresh_from_db()
    assert (dhl_shipment.status, dhl_shipment.reason) == ("in_transit", "")
    assert list(dhl_shipment.events.values_list("status", "reason", "mapped")) == [
        ("in_transit", "picked_up", True),
        ("in_transit", "", True),
        ("", "", False),
    ]
    assert sorted(UnmappedCode.objects.values_list("carrier", "raw_code", "example_text", "count")) == [
        ("dhl", "on-hold", "On hold", 1),
        (
            "dhl",
            "transit text: shipment is not out for delivery line haul delayed",
            "Shipment is not out for delivery: line-haul delayed",
            1,
        ),
    ]
