"""FedEx Track API adapter (OAuth client credentials, batches of 30), through httpx.MockTransport."""

import json
from datetime import datetime
from urllib.parse import parse_qs
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
from tests.carriers.helpers import FakeOAuthCarrier, carrier_fixture

CET = ZoneInfo("Etc/GMT-1")
EST = ZoneInfo("Etc/GMT+5")
TOKEN_PATH = "/oauth/token"
TRACK_PATH = "/track/v1/trackingnumbers"


def fixture(name: str) -> bytes:
    return carrier_fixture("fedex", name)


class FakeFedex(FakeOAuthCarrier):
    """FedEx answering the token call and then the tracking calls; records every request."""

    carrier = "fedex"
    token_path = TOKEN_PATH

    def asked(self) -> list[list[str]]:
        """The tracking numbers of each tracking call, in order."""
        return [
            [info["trackingNumberInfo"]["trackingNumber"] for info in json.loads(request.content)["trackingInfo"]]
            for request in self.requests
            if request.url.path == TRACK_PATH
        ]


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture(name))


def fedex(fake: FakeFedex):
    client = httpx.Client(transport=httpx.MockTransport(fake))
    settings = CarrierConfig(base_url="https://fedex.test", username="fedex-key", password="fedex-secret")
    return build_adapter("fedex", config=settings, client=client)


def test_journey_fetches_a_token_in_the_form_then_posts_the_numbers():
    # given FedEx reporting an international parcel on the vehicle for delivery
    fake = FakeFedex(ok("journey.json"))
    adapter = fedex(fake)

    # when it is fetched
    result = adapter.fetch(["794887075005"])["794887075005"]

    # then the token call carries the credentials in the form, not a Basic header
    token_call, track_call = fake.requests
    assert parse_qs(token_call.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["fedex-key"],
        "client_secret": ["fedex-secret"],
    }
    assert "Authorization" not in token_call.headers
    # and the tracking call posts the numbers with detailed scans under the bearer token
    assert track_call.method == "POST"
    assert json.loads(track_call.content) == {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "794887075005"}}],
    }
    assert track_call.headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.fedex-test-token"
    assert track_call.headers["X-locale"] == "en_US"
    # and scan events map by eventType, oldest first, each with its own offset
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("OC", Status.INFO_RECEIVED, ""),
        ("PU", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("CC", Status.IN_TRANSIT, Reason.CUSTOMS),
        ("DP", Status.IN_TRANSIT, ""),
        ("AR", Status.IN_TRANSIT, ""),
        ("OD", Status.OUT_FOR_DELIVERY, ""),
    ]
    assert result.events[1].occurred_at == datetime(2025, 3, 3, 17, 0, tzinfo=EST)
    assert result.events[1].location == "NEW YORK, NY, US"
    assert result.events[-1].text == "On FedEx vehicle for delivery"
    assert result.status == Status.OUT_FOR_DELIVERY
    # and the estimated window is used; the merely offered hold location is not a pickup point
    assert result.eta_from == datetime(2025, 3, 5, 9, 0, tzinfo=CET)
    assert result.eta_to == datetime(2025, 3, 5, 13, 0, tzinfo=CET)
    assert result.pickup_point is None
    assert result.service == "FedEx International Priority"
    assert result.unmapped_codes == ()


def test_batch_with_one_unknown_number_answers_the_others():
    # given three numbers, one FedEx cannot find
    fake = FakeFedex(ok("batch.json"))
    adapter = fedex(fake)

    # when they are fetched together
    outcomes = adapter.fetch(["794887075005", "39936862321", "794887075006"])

    # then one request carried all three
    assert fake.asked() == [["794887075005", "39936862321", "794887075006"]]
    # and the unknown one is not found while the others have their results
    missing = outcomes["39936862321"]
    assert isinstance(missing, TrackingError)
    assert missing.kind == ErrorKind.NOT_FOUND
    assert missing.message == (
        "FedEx TRACKING.TRACKINGNUMBER.NOTFOUND: "
        "Tracking number cannot be found. Please correct the tracking number and try again."
    )
    assert outcomes["794887075005"].status == Status.IN_TRANSIT
    assert outcomes["794887075006"].status == Status.DELIVERED


def test_more_than_thirty_numbers_are_split_and_share_one_token():
    # given 31 numbers
    fake = FakeFedex(ok("batch.json"))
    adapter = fedex(fake)
    numbers = [f"7948870{index:05d}" for index in range(31)]

    # when they are fetched
    adapter.fetch(numbers)

    # then FedEx's limit of 30 per request is kept and one token serves both requests
    assert fake.asked() == [numbers[:30], numbers[30:]]
    assert fake.paths().count(TOKEN_PATH) == 1


def test_delivered_parcel_has_proof_of_delivery():
    # given a delivered parcel with who received it
    adapter = fedex(FakeFedex(ok("delivered.json")))

    # when it is fetched
    result = adapter.fetch(["794887075006"])["794887075006"]

    # then it is final with the receiver and the actual delivery time
    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.proof_of_delivery == ProofOfDelivery(
        signed_by="A.NOWAK", timestamp=datetime(2025, 3, 5, 11, 27, tzinfo=CET)
    )


def test_parcel_held_at_a_location_names_it():
    # given a parcel ready for pickup at a FedEx station
    adapter = fedex(FakeFedex(ok("hold_at_location.json")))

    # when it is fetched
    result = adapter.fetch(["794887075007"])["794887075007"]

    # then it is available for pickup there
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.pickup_point == PickupPoint(
        id="WAWR",
        name="FedEx Station Warszawa",
        address="ul. Komitetu Obrony Robotników 43",
        postcode="02-146",
        city="WARSZAWA",
        country="PL",
    )


def test_delivery_exception_is_a_failed_attempt_with_its_own_text():
    # given a delivery exception for an absent customer and a new estimate
    adapter = fedex(FakeFedex(ok("failed_attempt.json")))

    # when it is fetched
    result = adapter.fetch(["794887075008"])["794887075008"]

    # then it is a failed attempt, the exception's description is the text, and the estimate moves
    assert result.status == Status.FAILED_ATTEMPT
    assert result.latest_event.text == "Customer not available or business closed"
    assert result.eta_from == datetime(2025, 3, 6, 18, 0, tzinfo=CET)
    assert result.eta_to == datetime(2025, 3, 6, 18, 0, tzinfo=CET)


def test_return_to_shipper_is_returning():
    # given FedEx sending the parcel back
    adapter = fedex(FakeFedex(ok("returned.json")))

    # when it is fetched
    result = adapter.fetch(["794887075009"])["794887075009"]

    # then it is on its way back
    assert [e.status for e in result.events] == [Status.FAILED_ATTEMPT, Status.RETURNING_TO_SENDER]
    assert result.status == Status.RETURNING_TO_SENDER
    assert result.is_final is False


def test_reused_number_takes_the_latest_shipment():
    # given FedEx answering a recycled number with an old and a current shipment
    adapter = fedex(FakeFedex(ok("duplicates.json")))

    # when it is fetched
    result = adapter.fetch(["794887075005"])["794887075005"]

    # then the current shipment is reported, not the one delivered in 2019
    assert [e.raw_code for e in result.events] == ["PU"]
    assert result.status == Status.IN_TRANSIT


def test_malformed_entry_spoils_only_its_own_number():
    # given a batch answer where one entry lacks its track results
    body = json.loads(fixture("batch.json"))
    del body["output"]["completeTrackResults"][2]["trackResults"]
    adapter = fedex(FakeFedex(httpx.Response(200, json=body)))

    # when the batch is fetched
    outcomes = adapter.fetch(["794887075005", "39936862321", "794887075006"])

    # then only that number is a carrier error
    assert outcomes["794887075006"].kind == ErrorKind.CARRIER_ERROR
    assert outcomes["39936862321"].kind == ErrorKind.NOT_FOUND
    assert outcomes["794887075005"].status == Status.IN_TRANSIT


def test_unmapped_event_type_is_listed_and_not_guessed():
    # given an eventType outside FedEx's published list
    adapter = fedex(FakeFedex(ok("unmapped.json")))

    # when it is fetched
    result = adapter.fetch(["794887075010"])["794887075010"]

    # then it is listed, says nothing, and the last known status stays
    assert result.unmapped_codes == ("ZZ",)
    assert (result.latest_event.status, result.latest_event.mapped) == (None, False)
    assert result.latest_event.text == "Package data processed"
    assert result.status == Status.IN_TRANSIT
