"""DPD Polska DPDInfoServices adapter, against recorded-shape SOAP answers through httpx.MockTransport."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import defusedxml.ElementTree
import httpx

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Reason, Status, TrackingError, TrackingResult
from tests.carriers.helpers import carrier_fixture

WARSAW = ZoneInfo("Europe/Warsaw")
WAYBILL = "0000123456789U"
ENVELOPE = "{http://schemas.xmlsoap.org/soap/envelope/}"
EVENTS = "{http://events.dpdinfoservices.dpd.com.pl/}"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> bytes:
    return carrier_fixture("dpd", name)


def replying(status: int, name: str, seen: list | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=fixture(name), headers={"Content-Type": "text/xml;charset=utf-8"})

    return handler


def dpd(handler: Handler):
    client = httpx.Client(transport=httpx.MockTransport(handler))
    settings = CarrierConfig(base_url="https://dpd.test", username="login&co", password="p<w>", account="1495")
    return build_adapter("dpd", config=settings, client=client)


def test_journey_sends_the_soap_call_and_maps_business_codes():
    # given DPD reporting a parcel released for delivery
    seen: list[httpx.Request] = []
    adapter = dpd(replying(200, "journey.xml", seen=seen))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then one SOAP call names the waybill, all events, and escaped credentials
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents"
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    call = defusedxml.ElementTree.fromstring(request.content).find(f"{ENVELOPE}Body/{EVENTS}getEventsForWaybillV1")
    assert {child.tag: child.text for child in call if child.tag != "authDataV1"} == {
        "waybill": WAYBILL,
        "eventsSelectType": "ALL",
        "language": "PL",
    }
    assert {child.tag: child.text for child in call.find("authDataV1")} == {
        "channel": "1495",
        "login": "login&co",
        "password": "p<w>",
    }
    # and the newest-first rows become events oldest first, in Polish local time, texts verbatim
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("030103", Status.INFO_RECEIVED, ""),
        ("040101", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("330135", Status.IN_TRANSIT, ""),
        ("170102", Status.OUT_FOR_DELIVERY, ""),
    ]
    assert result.events[0].occurred_at == datetime(2025, 3, 3, 9, 14, 7, tzinfo=WARSAW)
    assert result.events[0].text == "Zarejestrowano dane przesyłki, przesyłka jeszcze nie nadana"
    assert result.events[-1].location == "WARSZAWA 3, PL"
    assert result.status == Status.OUT_FOR_DELIVERY
    assert result.unmapped_codes == ()


def test_delivered_parcel_is_final():
    # given DPD reporting the parcel delivered
    adapter = dpd(replying(200, "delivered.xml"))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is delivered and final
    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.latest_event.text == "Przesyłka doręczona"
    assert result.latest_event.occurred_at == datetime(2025, 3, 4, 13, 5, 44, tzinfo=WARSAW)


def test_parcel_at_a_pickup_point_names_the_point():
    # given the parcel waiting at a DPD Pickup point
    adapter = dpd(replying(200, "pickup.xml"))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is available for pickup at that point
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.pickup_point == PickupPoint(id="PL11019", name="Żabka, ul. Prosta 1, Warszawa", country="PL")


def test_recipient_absent_is_a_failed_attempt():
    # given DPD reporting the recipient absent
    adapter = dpd(replying(200, "failed_attempt.xml"))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is a failed attempt for an absent recipient
    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == Reason.RECIPIENT_ABSENT


def test_return_is_returning_to_sender():
    # given two failed attempts followed by DPD's return
    adapter = dpd(replying(200, "returned.xml"))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then the parcel is on its way back, which is not final on this waybill
    assert result.status == Status.RETURNING_TO_SENDER
    assert result.is_final is False
    assert result.latest_event.text == "Zwrot przesyłki"


def test_waybill_without_events_is_not_found():
    # given DPD answering with no rows
    adapter = dpd(replying(200, "not_found.xml"))

    # when it is fetched
    outcome = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is not found, not an empty result
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
    assert outcome.retryable is False


def test_access_denied_fault_is_an_auth_error():
    # given DPD's SOAP fault for wrong credentials, sent as HTTP 500
    adapter = dpd(replying(500, "access_denied.xml"))

    # when a waybill is fetched
    outcome = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is an auth error, not a retryable outage
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH
    assert outcome.message == "DPD refused the request: Access denied to secured webserwis method"
    assert outcome.retryable is False


def test_other_soap_fault_is_transient():
    # given a server-side SOAP fault
    adapter = dpd(replying(500, "server_fault.xml"))

    # when a waybill is fetched
    outcome = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT
    assert outcome.http_status == 500


def test_unknown_business_code_is_listed_and_not_guessed():
    # given a business code in no table and no known family
    adapter = dpd(replying(200, "unmapped.xml"))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then it is listed, keeps its text, and the status stays with the last known event
    assert result.unmapped_codes == ("999901",)
    assert (result.latest_event.status, result.latest_event.mapped) == (None, False)
    assert result.latest_event.text == "Przesyłka w trakcie wyjaśniania"
    assert result.status == Status.IN_TRANSIT


def test_unknown_variant_of_a_known_family_takes_the_family_status():
    # given a recipient-absent variant (2002xx) missing from the table
    body = fixture("failed_attempt.xml").replace(b"200201", b"200299")
    adapter = dpd(lambda request: httpx.Response(200, content=body))

    # when it is fetched
    result = adapter.fetch([WAYBILL])[WAYBILL]

    # then its family decides the status and the code is still listed for the table
    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == Reason.RECIPIENT_ABSENT
    assert result.unmapped_codes == ("200299",)
