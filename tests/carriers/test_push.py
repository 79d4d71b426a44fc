"""Reading pushes in carriers: InPost's own webhook, the relay format for any carrier, and refusals."""

import json
from datetime import UTC, datetime

import httpx
import pytest

from carriers.push import MAX_EVENTS, MalformedPush, PushNotSupported
from carriers.registry import build_adapter
from carriers.types import CarrierConfig, Reason, Status, TrackingResult

NUMBER = "620000000000000000000042"
INPOST_PUSH = {
    "event_ts": "2026-11-04 10:38:23 +0100",
    "event": "shipment_status_changed",
    "organization_id": 1,
    "payload": {"shipment_id": 49, "status": "out_for_delivery", "tracking_number": NUMBER},
}


def adapter(carrier: str, poll_answer: dict | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=poll_answer)

    return build_adapter(carrier, config=CarrierConfig(), client=httpx.Client(transport=httpx.MockTransport(handler)))


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def test_an_inpost_push_is_one_result_like_a_poll():
    # when InPost's status webhook is read
    (result,) = adapter("inpost").parse_push(body(INPOST_PUSH), {})

    # then it is one normalized result with one event, mapped like a polled one
    assert isinstance(result, TrackingResult)
    assert (result.carrier, result.tracking_number, result.status) == ("inpost", NUMBER, Status.OUT_FOR_DELIVERY)
    (event,) = result.events
    assert (event.raw_code, event.text, event.location) == ("out_for_delivery", "", "")
    assert event.occurred_at == datetime(2026, 11, 4, 9, 38, 23, tzinfo=UTC)
    assert result.raw == INPOST_PUSH


def test_an_inpost_push_and_a_poll_of_the_same_scan_have_one_dedupe_key():
    # given ShipX's poll answer for the same scan: milliseconds, an agency, an earlier scan
    poll_answer = {
        "tracking_number": NUMBER,
        "service": "inpost_courier_standard",
        "custom_attributes": {},
        "tracking_details": [
            {
                "status": "out_for_delivery",
                "origin_status": "WDA",
                "agency": "KRA",
                "datetime": "2026-11-04T10:38:23.000+01:00",
            },
            {
                "status": "adopted_at_sorting_center",
                "origin_status": "PWO",
                "agency": "KRA",
                "datetime": "2026-11-04T06:12:41.000+01:00",
            },
        ],
    }
    inpost = adapter("inpost", poll_answer)

    # when both are read
    (pushed,) = inpost.parse_push(body(INPOST_PUSH), {})
    polled = inpost.fetch([NUMBER])[NUMBER]

    # then the pushed scan and the polled one are the same event by key, the other one is not
    assert polled.events[-1].location == "KRA"
    assert pushed.events[0].dedupe_key == polled.events[-1].dedupe_key
    assert pushed.events[0].dedupe_key != polled.events[0].dedupe_key


def test_inpost_scans_differing_in_instant_or_status_keep_their_own_keys():
    inpost = adapter("inpost")
    (first,) = inpost.parse_push(body(INPOST_PUSH), {})
    (later,) = inpost.parse_push(body({**INPOST_PUSH, "event_ts": "2026-11-04 10:38:24 +0100"}), {})
    other_status = {**INPOST_PUSH, "payload": {**INPOST_PUSH["payload"], "status": "delivered"}}
    (delivered,) = inpost.parse_push(body(other_status), {})

    keys = {first.events[0].dedupe_key, later.events[0].dedupe_key, delivered.events[0].dedupe_key}
    assert len(keys) == 3


def test_the_relay_format_is_read_for_a_carrier_without_a_push_of_its_own():
    # given DHL updates relayed in Parcelfront's format, one sentence DHL is known to use and one not
    document = {
        "tracking_number": "00340434292135100124",
        "events": [
            {"occurred_at": "2026-11-03T08:00:00", "code": "transit", "text": "Shipment picked up"},
            {
                "occurred_at": "2026-11-03T20:00:00+01:00",
                "code": "transit",
                "text": "Not out for delivery today",
                "location": "Bonn",
            },
        ],
        "eta_to": "2026-11-05T18:00:00+01:00",
        "service": "parcel-de",
    }

    # when read by DHL's adapter
    (result,) = adapter("dhl").parse_push(body(document), {})

    # then codes and texts are read as a poll reads them, naive times in DHL's zone
    assert [(e.status, e.reason, e.unrecognized_text) for e in result.events] == [
        (Status.IN_TRANSIT, Reason.PICKED_UP, ""),
        (Status.IN_TRANSIT, "", "not out for delivery today"),
    ]
    assert result.events[0].occurred_at == datetime(2026, 11, 3, 7, 0, tzinfo=UTC)
    assert result.eta_to == datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    assert result.service == "parcel-de"
    assert result.unrecognized_texts == ("not out for delivery today",)


def test_a_carrier_without_a_push_of_its_own_refuses_other_bodies_clearly():
    with pytest.raises(PushNotSupported, match="DHL does not push in a format of its own"):
        adapter("dhl").parse_push(body({"event": "shipment_status_changed", "payload": {}}), {})


@pytest.mark.parametrize(
    ("carrier", "raw", "reason"),
    [
        ("inpost", b"{not json", "body is not JSON"),
        ("dhl", b"[1, 2]", "body must be a JSON object"),
        (
            "inpost",
            body({"event": "shipment_status_changed", "payload": {"status": "delivered"}}),
            "payload.tracking_number is required",
        ),
        ("inpost", body({**INPOST_PUSH, "event_ts": "yesterday"}), "event_ts is not a date-time"),
        ("inpost", body({**INPOST_PUSH, "payload": "delivered"}), "payload must be an object"),
        ("dhl", body({"tracking_number": "1", "events": []}), "events must be a non-empty list"),
        (
            "dhl",
            body({"tracking_number": "1", "events": [{"occurred_at": "2026-11-03T08:00:00"}] * (MAX_EVENTS + 1)}),
            f"at most {MAX_EVENTS} events",
        ),
        (
            "dhl",
            body({"tracking_number": "1", "events": [{"occurred_at": "2026-11-03T08:00:00", "code": True}]}),
            "events[0].code is required",
        ),
        ("dhl", body({"events": [{"code": "transit"}]}), "tracking_number is required"),
    ],
)
def test_a_malformed_push_names_what_is_wrong(carrier, raw, reason):
    with pytest.raises(MalformedPush) as failure:
        adapter(carrier).parse_push(raw, {})

    assert reason in str(failure.value)
    assert not isinstance(failure.value, PushNotSupported)
