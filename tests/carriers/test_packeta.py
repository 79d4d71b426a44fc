"""Packeta REST/XML adapter against recorded-shape payloads through httpx.MockTransport."""

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import defusedxml.ElementTree
import httpx
import pytest

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Status, TrackingError
from tests.carriers.helpers import carrier_fixture

PRAGUE = ZoneInfo("Europe/Prague")
BARCODE = "Z1234567890"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=carrier_fixture("packeta", name), headers={"Content-Type": "text/xml"})


def packeta(handler: Handler, requests: list[httpx.Request] | None = None):
    def recording(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    return build_adapter("packeta", config=CarrierConfig(api_key="a1b2c3<&>"), client=client)


def test_full_journey_posts_packet_tracking_without_the_z_and_keeps_czech_texts():
    # given
    requests: list[httpx.Request] = []

    # when
    result = packeta(lambda request: fixture("journey.xml"), requests).fetch([BARCODE])[BARCODE]

    # then the call is the XML method with the password escaped and the numeric packet id
    assert [(r.method, str(r.url)) for r in requests] == [("POST", "https://www.zasilkovna.cz/api/rest")]
    call = defusedxml.ElementTree.fromstring(requests[0].content)
    assert (call.tag, call.findtext("apiPassword"), call.findtext("packetId")) == (
        "packetTracking",
        "a1b2c3<&>",
        "1234567890",
    )
    # and the records become events in Prague time with verbatim status texts
    assert [(e.raw_code, e.text, e.status) for e in result.events] == [
        ("1", "Packet data received", Status.INFO_RECEIVED),
        ("2", "Zásilka byla přijata na depu Praha-Malešice.", Status.IN_TRANSIT),
        ("4", "Zásilka odjela z depa.", Status.IN_TRANSIT),
    ]
    assert result.events[1].occurred_at == datetime(2025, 3, 3, 17, 40, 2, tzinfo=PRAGUE)
    assert result.status == Status.IN_TRANSIT
    assert result.pickup_point is None
    assert result.is_final is False


def test_delivered_at_a_pickup_point():
    result = packeta(lambda request: fixture("delivered.xml")).fetch([BARCODE])[BARCODE]

    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.pickup_point == PickupPoint(id="4321")
    assert result.events[-2].status == Status.AVAILABLE_FOR_PICKUP


def test_failed_home_delivery_attempt():
    result = packeta(lambda request: fixture("failed_attempt.xml")).fetch([BARCODE])[BARCODE]

    assert [e.status for e in result.events] == [Status.INFO_RECEIVED, Status.IN_TRANSIT, Status.FAILED_ATTEMPT]
    assert result.status == Status.FAILED_ATTEMPT
    assert result.pickup_point is None


def test_returned_after_storage_time_expired():
    result = packeta(lambda request: fixture("returned.xml")).fetch([BARCODE])[BARCODE]

    assert [(e.status, e.reason) for e in result.events] == [
        (Status.INFO_RECEIVED, ""),
        (Status.AVAILABLE_FOR_PICKUP, ""),
        (Status.EXCEPTION, "pickup_expired"),
        (Status.RETURNING_TO_SENDER, ""),
        (Status.RETURNED_TO_SENDER, ""),
    ]
    assert result.is_final is True


def test_unknown_packet_fault_is_not_found_and_bad_password_is_auth():
    not_found = packeta(lambda request: fixture("not_found.xml")).fetch(["Z9999999999"])["Z9999999999"]
    bad_password = packeta(lambda request: fixture("bad_password.xml")).fetch([BARCODE])[BARCODE]

    assert not_found == TrackingError(ErrorKind.NOT_FOUND, "Packeta PacketIdFault: Packet with this id does not exist.")
    assert bad_password == TrackingError(ErrorKind.AUTH, "Packeta IncorrectApiPasswordFault: Incorrect API password.")


def test_unmapped_status_code_is_listed_and_unknown_code_999_is_known_but_silent(caplog):
    with caplog.at_level(logging.WARNING, logger="carriers"):
        result = packeta(lambda request: fixture("unmapped.xml")).fetch([BARCODE])[BARCODE]

    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("1", Status.INFO_RECEIVED, True),
        ("4", Status.IN_TRANSIT, True),
        ("31", None, False),
        ("999", None, True),
    ]
    assert result.status == Status.IN_TRANSIT
    assert result.unmapped_codes == ("31",)
    assert [record.raw_code for record in caplog.records] == ["31"]


def test_http_errors_rate_limit_and_timeouts():
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    rate_limited = packeta(lambda request: httpx.Response(429, headers={"Retry-After": "30"})).fetch([BARCODE])[BARCODE]
    unauthorized = packeta(lambda request: httpx.Response(401)).fetch([BARCODE])[BARCODE]

    assert (rate_limited.kind, rate_limited.retry_after) == (ErrorKind.RATE_LIMITED, 30.0)
    assert unauthorized.kind == ErrorKind.AUTH
    assert packeta(lambda request: httpx.Response(502)).fetch([BARCODE])[BARCODE].kind == ErrorKind.TRANSIENT
    assert packeta(timeout).fetch([BARCODE])[BARCODE].kind == ErrorKind.TRANSIENT


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not xml at all", "not acceptable XML"),
        (b"<response><status>maintenance</status></response>", "status 'maintenance'"),
        (b"<response><status>ok</status></response>", "no <result>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<response><status>&b;</status></response>",
            "not acceptable XML",
        ),
    ],
)
def test_malformed_or_hostile_xml_is_a_carrier_error(body, fragment):
    outcome = packeta(lambda request: httpx.Response(200, content=body)).fetch([BARCODE])[BARCODE]

    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert fragment in outcome.message


def test_one_bad_number_does_not_fail_the_others():
    def handler(request: httpx.Request) -> httpx.Response:
        packet_id = defusedxml.ElementTree.fromstring(request.content).findtext("packetId")
        return {"1": fixture("delivered.xml"), "2": fixture("not_found.xml")}.get(packet_id, httpx.Response(500))

    outcomes = packeta(handler).fetch(["Z1", "Z2", "Z3"])

    assert outcomes["Z1"].status == Status.DELIVERED
    assert outcomes["Z2"].kind == ErrorKind.NOT_FOUND
    assert outcomes["Z3"].kind == ErrorKind.TRANSIENT
