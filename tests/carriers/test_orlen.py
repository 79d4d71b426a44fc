"""Orlen Paczka SOAP adapter against recorded-shape payloads through httpx.MockTransport."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import defusedxml.ElementTree
import httpx

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, Status, TrackingError, TrackingResult
from tests.carriers.helpers import carrier_fixture

PACK = "2100012345678"
NS = "{https://91.242.220.103/WebServicePwR}"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=carrier_fixture("orlen", name), headers={"Content-Type": "text/xml"})


def orlen(handler: Handler, requests: list[httpx.Request] | None = None):
    def recording(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    return build_adapter("orlen", config=CarrierConfig(account="P123", api_key="key&1"), client=client)


def test_full_journey_sends_a_soap_call_with_partner_credentials():
    # given
    requests: list[httpx.Request] = []

    # when
    result = orlen(lambda request: fixture("journey.xml"), requests).fetch([PACK])[PACK]

    # then
    request = requests[0]
    assert (request.method, str(request.url)) == (
        "POST",
        "https://api.orlenpaczka.pl/WebServicePwRProd/WebServicePwR.asmx",
    )
    assert request.headers["SOAPAction"] == '"https://91.242.220.103/WebServicePwR/GiveMePackStatusFullHistoryList"'
    call = defusedxml.ElementTree.fromstring(request.content).find(f"{SOAP}Body/{NS}GiveMePackStatusFullHistoryList")
    assert [code.text for code in call.find(f"{NS}PackCodes")] == [PACK]
    assert (call.findtext(f"{NS}PartnerID"), call.findtext(f"{NS}PartnerKey")) == ("P123", "key&1")
    # and the rows become events with Orlen's own descriptions
    assert [(e.raw_code, e.text, e.status) for e in result.events] == [
        ("200", "Zaawizowana do PwR", Status.INFO_RECEIVED),
        ("240", "W transporcie do ekspedycji u kuriera", Status.IN_TRANSIT),
    ]
    assert result.events[0].occurred_at == datetime(2025, 3, 3, 8, 18, 49, 923774, tzinfo=UTC)
    assert result.status == Status.IN_TRANSIT
    assert result.is_final is False


def test_delivered_ignores_the_archiving_row():
    result = orlen(lambda request: fixture("delivered.xml")).fetch([PACK])[PACK]

    assert [(e.raw_code, e.status, e.mapped) for e in result.events][-3:] == [
        ("690", Status.AVAILABLE_FOR_PICKUP, True),
        ("888", None, True),
        ("1000", Status.DELIVERED, True),
    ]
    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.unmapped_codes == ()


def test_return_leg_is_read_from_the_powrot_attribute():
    result = orlen(lambda request: fixture("returned.xml")).fetch(["2100055566677"])["2100055566677"]

    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("200", Status.INFO_RECEIVED, ""),
        ("690", Status.AVAILABLE_FOR_PICKUP, ""),
        ("709", Status.RETURNING_TO_SENDER, "pickup_expired"),
        ("POWROT:240", Status.RETURNING_TO_SENDER, ""),
        ("POWROT:1000", Status.RETURNED_TO_SENDER, ""),
    ]
    # "collected" on the return leg means back at the sender, not delivered to the customer
    assert result.status == Status.RETURNED_TO_SENDER
    assert result.is_final is True


def test_batch_groups_rows_per_pack_and_one_bad_pack_does_not_fail_the_others():
    # given four packs in one call: two fine, one with an unreadable time, one unknown to Orlen
    requests: list[httpx.Request] = []
    packs = [PACK, "2100099988877", "2100077766655", "2100000000000"]

    # when
    outcomes = orlen(lambda request: fixture("batch.xml"), requests).fetch(packs)

    # then one request carried all four codes
    assert len(requests) == 1
    assert isinstance(outcomes[PACK], TrackingResult)
    assert [e.raw_code for e in outcomes[PACK].events] == ["200", "240"]
    assert outcomes["2100099988877"].status == Status.DELIVERED
    assert outcomes["2100077766655"] == TrackingError(
        ErrorKind.CARRIER_ERROR, "malformed Orlen Paczka response: Orlen Paczka sent an unreadable time 'wczoraj'"
    )
    assert outcomes["2100000000000"] == TrackingError(ErrorKind.NOT_FOUND, "Orlen Paczka did not report this number")


def test_batch_size_chunks_large_lists():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.content.count(b"<string>"))
        return fixture("empty.xml")

    outcomes = orlen(handler).fetch([f"21{index:011d}" for index in range(250)])

    assert calls == [100, 100, 50]
    assert {outcome.kind for outcome in outcomes.values()} == {ErrorKind.NOT_FOUND}


def test_error_row_fails_every_number_with_its_description():
    outcomes = orlen(lambda request: fixture("error.xml")).fetch([PACK, "2100099988877"])

    expected = TrackingError(ErrorKind.CARRIER_ERROR, "Orlen Paczka error 102: Niepoprawny PartnerID lub PartnerKey")
    assert outcomes == {PACK: expected, "2100099988877": expected}


def test_soap_fault_is_a_non_retryable_carrier_error():
    outcome = orlen(lambda request: fixture("fault.xml", 500)).fetch([PACK])[PACK]

    assert (outcome.kind, outcome.http_status, outcome.retryable) == (ErrorKind.CARRIER_ERROR, 500, False)
    assert "Server was unable to read request" in outcome.message


def test_unmapped_codes_and_attributes_are_listed_and_return_leg_family_applies(caplog):
    with caplog.at_level(logging.WARNING, logger="carriers"):
        result = orlen(lambda request: fixture("unmapped.xml")).fetch([PACK])[PACK]

    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("200", Status.INFO_RECEIVED, True),
        ("555", None, False),
        ("ZMIANA:690", None, False),
        ("POWROT:900", Status.RETURNING_TO_SENDER, True),
        ("POWROT:123", Status.RETURNING_TO_SENDER, False),
    ]
    assert result.status == Status.RETURNING_TO_SENDER
    assert result.unmapped_codes == ("555", "ZMIANA:690", "POWROT:123")
    assert [record.raw_code for record in caplog.records] == ["555", "ZMIANA:690", "POWROT:123"]


def test_http_errors_and_malformed_bodies():
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert orlen(lambda request: httpx.Response(503)).fetch([PACK])[PACK].kind == ErrorKind.TRANSIENT
    assert orlen(timeout).fetch([PACK])[PACK].kind == ErrorKind.TRANSIENT
    assert orlen(lambda request: httpx.Response(403)).fetch([PACK])[PACK].kind == ErrorKind.AUTH
    limited = orlen(lambda request: httpx.Response(429, headers={"Retry-After": "60"})).fetch([PACK])[PACK]
    assert (limited.kind, limited.retry_after) == (ErrorKind.RATE_LIMITED, 60.0)
    garbage = orlen(lambda request: httpx.Response(200, content=b"<html><body>Oops")).fetch([PACK])[PACK]
    assert garbage.kind == ErrorKind.CARRIER_ERROR
    unrelated = orlen(lambda request: httpx.Response(200, content=b"<ok/>")).fetch([PACK])[PACK]
    assert unrelated == TrackingError(
        ErrorKind.CARRIER_ERROR,
        "malformed Orlen Paczka response: Orlen Paczka answer has no GiveMePackStatusFullHistoryListResult",
    )
