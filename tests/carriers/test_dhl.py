"""DHL Shipment Tracking - Unified adapter, against recorded-shape payloads through httpx.MockTransport."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from carriers.registry import build_adapter
from carriers.types import (
    CarrierConfig,
    ErrorKind,
    PickupPoint,
    ProofOfDelivery,
    Reason,
    Status,
    TrackingError,
    TrackingResult,
)
from tests.carriers.helpers import carrier_fixture

BERLIN = ZoneInfo("Europe/Berlin")
CET = ZoneInfo("Etc/GMT-1")  # a fixed +01:00, as DHL sends it

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> bytes:
    return carrier_fixture("dhl", name)


def replying(status: int, name: str = "", headers: dict[str, str] | None = None, seen: list | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=fixture(name) if name else b"", headers=headers)

    return handler


def dhl(handler: Handler, **config: object):
    client = httpx.Client(transport=httpx.MockTransport(handler))
    settings = CarrierConfig(base_url="https://dhl.test", api_key="dhl-key", timeout=7.5, **config)
    return build_adapter("dhl", config=settings, client=client)


def test_journey_maps_each_event_and_refines_transit_from_the_text():
    # given DHL Express reporting a parcel that left Leipzig and is out with the courier in Warsaw
    seen: list[httpx.Request] = []
    adapter = dhl(replying(200, "journey.json", seen=seen))

    # when it is fetched
    result = adapter.fetch(["7777777770"])["7777777770"]

    # then the request is DHL's, with the key in its header and the configured timeout
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/track/shipments"
    assert dict(request.url.params) == {"trackingNumber": "7777777770", "language": "en"}
    assert request.headers["DHL-API-Key"] == "dhl-key"
    assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}
    # and every event is kept verbatim, oldest first, with DHL's finer meaning taken from its text
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("pre-transit", Status.INFO_RECEIVED, ""),
        ("transit", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("transit", Status.IN_TRANSIT, ""),
        ("transit", Status.IN_TRANSIT, Reason.CUSTOMS),
        ("transit", Status.OUT_FOR_DELIVERY, ""),
    ]
    assert result.events[-1].text == "Shipment is out with courier for delivery"
    assert result.events[-1].location == "WARSAW - POLAND"
    # and naive Express timestamps are read in DHL's zone
    assert result.events[0].occurred_at == datetime(2025, 3, 3, 9, 1, tzinfo=BERLIN)
    assert result.status == Status.OUT_FOR_DELIVERY
    assert result.is_final is False
    # and the delivery window beats the single estimate
    assert result.eta_from == datetime(2025, 3, 5, 9, 0, tzinfo=CET)
    assert result.eta_to == datetime(2025, 3, 5, 13, 0, tzinfo=CET)
    assert result.service == "DHL EXPRESS WORLDWIDE"
    assert result.pickup_point is None
    assert result.proof_of_delivery is None
    assert result.unmapped_codes == ()


def test_delivered_parcel_is_final_with_proof_of_delivery():
    # given a DHL Parcel DE parcel delivered and signed for
    adapter = dhl(replying(200, "delivered.json"))

    # when it is fetched
    result = adapter.fetch(["00340434292135100124"])["00340434292135100124"]

    # then it is delivered and final, with who signed and where DHL shows the signature
    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert [e.status for e in result.events] == [
        Status.INFO_RECEIVED,
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
    ]
    assert result.proof_of_delivery == ProofOfDelivery(
        signed_by="Anna Nowak",
        timestamp=datetime(2025, 3, 6, 11, 27, tzinfo=CET),
        signature_url="https://www.dhl.de/int-verfolgen/data/signature?piececode=00340434292135100124",
    )
    assert result.events[-1].location == "53113 Bonn, DE"
    assert result.service == "parcel-de"
    assert result.eta_from is None and result.eta_to is None


def test_parcel_waiting_at_a_service_point_names_it():
    # given a parcel DHL reports ready for pickup at a retail outlet
    adapter = dhl(replying(200, "servicepoint.json"))

    # when it is fetched
    result = adapter.fetch(["00340434292135100131"])["00340434292135100131"]

    # then it is available for pickup at that service point
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.pickup_point == PickupPoint(
        id="Postfiliale 511",
        name="Postfiliale 511",
        address="Kaiserstr. 15",
        postcode="53113",
        city="Bonn",
        country="DE",
        description="https://www.dhl.de/de/privatkunden/dhl-standorte-finden.html"
        "?locationType=servicepoint&locationId=8003-4101117",
    )


def test_failed_attempt_is_told_apart_from_other_failures():
    # given a "failure" whose text says the recipient was not at home
    adapter = dhl(replying(200, "failed_attempt.json"))

    # when it is fetched
    result = adapter.fetch(["00340434292135100148"])["00340434292135100148"]

    # then it is a failed attempt for an absent recipient, not a generic exception
    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == Reason.RECIPIENT_ABSENT
    assert result.events[-1].raw_code == "failure"
    assert result.events[-1].text == "Delivery attempt failed: the recipient was not at home"


def test_return_to_sender_ends_returned_not_delivered():
    # given an uncollected parcel sent back and "delivered" back to the sender
    adapter = dhl(replying(200, "returned.json"))

    # when it is fetched
    result = adapter.fetch(["00340434292135100155"])["00340434292135100155"]

    # then the return leg is recognized and the final status is returned, not delivered
    assert [e.status for e in result.events] == [
        Status.AVAILABLE_FOR_PICKUP,
        Status.RETURNING_TO_SENDER,
        Status.RETURNED_TO_SENDER,
    ]
    assert result.status == Status.RETURNED_TO_SENDER
    assert result.is_final is True


def test_unknown_number_is_not_found():
    # given DHL's problem JSON for a number it does not know
    adapter = dhl(replying(404, "not_found.json"))

    # when it is fetched
    outcome = adapter.fetch(["1234567890"])["1234567890"]

    # then it is a not-found error that is not retried
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
    assert outcome.http_status == 404
    assert outcome.retryable is False
    assert "No shipment with given tracking number found." in outcome.message


def test_empty_shipment_list_is_not_found():
    # given a 200 answer listing no shipment
    adapter = dhl(lambda request: httpx.Response(200, json={"shipments": []}))

    # when it is fetched
    outcome = adapter.fetch(["1234567890"])["1234567890"]

    # then the number is reported not found rather than empty
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND


def test_unmapped_status_code_is_listed_and_not_guessed():
    # given a statusCode outside DHL's five documented values
    adapter = dhl(replying(200, "unmapped.json"))

    # when it is fetched
    result = adapter.fetch(["7777777771"])["7777777771"]

    # then the event keeps its raw code without a status, and the shipment keeps the last known one
    assert result.unmapped_codes == ("on-hold",)
    assert (result.events[-1].raw_code, result.events[-1].status, result.events[-1].mapped) == (
        "on-hold",
        None,
        False,
    )
    assert result.status == Status.IN_TRANSIT


def test_each_number_is_its_own_call():
    # given two numbers
    seen: list[httpx.Request] = []
    adapter = dhl(replying(200, "journey.json", seen=seen))

    # when both are fetched
    outcomes = adapter.fetch(["7777777770", "7777777771"])

    # then DHL is asked once per number
    assert [request.url.params["trackingNumber"] for request in seen] == ["7777777770", "7777777771"]
    assert set(outcomes) == {"7777777770", "7777777771"}


def test_language_comes_from_config():
    # given a shop that wants DHL's texts in Polish
    seen: list[httpx.Request] = []
    adapter = dhl(replying(200, "journey.json", seen=seen), extra={"language": "pl"})

    # when a number is fetched
    adapter.fetch(["7777777770"])

    # then DHL is asked for Polish
    assert seen[0].url.params["language"] == "pl"
