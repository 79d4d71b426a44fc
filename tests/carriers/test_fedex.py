"""FedEx Track API adapter (OAuth client credentials, batches of 30), through httpx.MockTransport."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from carriers.registry import build_adapter
from carriers.simulator import SCENARIOS, WIRE_FORMATS, make_wsgi_app, scenario_for
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers" / "fedex"
CET = ZoneInfo("Etc/GMT-1")
EST = ZoneInfo("Etc/GMT+5")
TOKEN_PATH = "/oauth/token"
TRACK_PATH = "/track/v1/trackingnumbers"


# What each generic step of the demo carrier means, to check the adapter reads the simulator right.
STEP_STATUS = {
    "label": Status.INFO_RECEIVED,
    "picked_up": Status.IN_TRANSIT,
    "sorting": Status.IN_TRANSIT,
    "delayed": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "ready_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "failed_attempt": Status.FAILED_ATTEMPT,
    "delivered": Status.DELIVERED,
    "pickup_expired": Status.EXCEPTION,
    "returning": Status.RETURNING_TO_SENDER,
    "returned": Status.RETURNED_TO_SENDER,
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeFedex:
    """Answers the token call and then the tracking calls in order; records every request."""

    def __init__(self, *tracking: httpx.Response, token: httpx.Response | None = None) -> None:
        self.token = token or httpx.Response(200, content=fixture("token.json"))
        self.tracking = list(tracking)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == TOKEN_PATH:
            return self.token
        return self.tracking.pop(0) if len(self.tracking) > 1 else self.tracking[0]

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]

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


def test_rejected_credentials_fail_every_number_without_tracking():
    # given FedEx refusing the client credentials
    fake = FakeFedex(ok("batch.json"), token=httpx.Response(401, content=fixture("unauthorized.json")))
    adapter = fedex(fake)

    # when two numbers are fetched
    outcomes = adapter.fetch(["794887075005", "794887075006"])

    # then both are auth errors and nothing was tracked
    assert {number: outcome.kind for number, outcome in outcomes.items()} == {
        "794887075005": ErrorKind.AUTH,
        "794887075006": ErrorKind.AUTH,
    }
    assert fake.paths() == [TOKEN_PATH]


def test_expired_token_is_renewed_once():
    # given a cached token that FedEx reports expired
    fake = FakeFedex(ok("journey.json"))
    adapter = fedex(fake)
    adapter.fetch(["794887075005"])
    fake.tracking = [httpx.Response(401, content=fixture("token_expired.json")), ok("journey.json")]

    # when the number is fetched again
    outcome = adapter.fetch(["794887075005"])["794887075005"]

    # then a new token is fetched and the request repeated once
    assert isinstance(outcome, TrackingResult)
    assert fake.paths()[2:] == [TRACK_PATH, TOKEN_PATH, TRACK_PATH]


def test_rate_limit_carries_retry_after():
    # given FedEx throttling
    adapter = fedex(FakeFedex(httpx.Response(429, content=fixture("rate_limited.json"), headers={"Retry-After": "10"})))

    # when a number is fetched
    outcome = adapter.fetch(["794887075005"])["794887075005"]

    # then it is rate limited for ten seconds
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.RATE_LIMITED
    assert outcome.retry_after == 10.0


def test_server_error_is_transient_for_the_whole_batch():
    # given FedEx failing with 500
    adapter = fedex(FakeFedex(httpx.Response(500, text='{"errors": [{"code": "INTERNAL.SERVER.ERROR"}]}')))

    # when two numbers are fetched
    outcomes = adapter.fetch(["794887075005", "794887075006"])

    # then each is a transient error
    assert {outcome.kind for outcome in outcomes.values()} == {ErrorKind.TRANSIENT}
    assert set(outcomes) == {"794887075005", "794887075006"}


def test_timeout_is_transient():
    # given the tracking call timing out after a token was issued
    def tracking_hangs(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, content=fixture("token.json"))
        raise httpx.WriteTimeout("timed out", request=request)

    client = httpx.Client(transport=httpx.MockTransport(tracking_hangs))
    adapter = build_adapter("fedex", config=CarrierConfig(base_url="https://fedex.test"), client=client)

    # when a number is fetched
    outcome = adapter.fetch(["794887075005"])["794887075005"]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT


def test_malformed_body_is_a_carrier_error():
    # given a tracking answer that is not JSON
    adapter = fedex(FakeFedex(httpx.Response(200, text="<html>Gateway</html>")))

    # when a number is fetched
    outcome = adapter.fetch(["794887075005"])["794887075005"]

    # then it is a carrier error
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert "not JSON" in outcome.message


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


def test_events_at_the_same_instant_keep_the_carriers_order():
    # given FedEx reporting out-for-delivery and delivery at the same second
    body = fixture("delivered.json").replace(b"2025-03-05T07:44:00+01:00", b"2025-03-05T11:27:00+01:00")
    adapter = fedex(FakeFedex(httpx.Response(200, content=body)))

    # when it is fetched
    result = adapter.fetch(["794887075006"])["794887075006"]

    # then delivery stays the newest event, so the parcel is delivered
    assert result.latest_event.status == Status.DELIVERED
    assert result.status == Status.DELIVERED


@pytest.mark.parametrize(
    "scenario", ["locker_pickup", "courier_delivery", "failed_attempt_then_delivery", "delayed", "return_to_sender"]
)
def test_simulator_journey_reads_back_as_the_steps_it_plays(scenario):
    # given the demo carrier speaking FedEx, and a number it plays this scenario for
    clock = [datetime(2025, 3, 3, 8, 0, tzinfo=UTC)]
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0, clock=lambda: clock[0])))
    adapter = build_adapter("fedex", config=CarrierConfig(base_url="http://simulator/fedex"), client=client)
    number = next(n for n in (f"{794887000000 + i}" for i in range(1000)) if scenario_for("fedex", n) == scenario)
    first = adapter.fetch([number])[number]  # the first question starts the journey
    clock[0] += timedelta(days=3)

    # when the number is fetched after the whole journey has played
    result = adapter.fetch([number])[number]

    # then the adapter reads every step as what it means, with no code left unmapped
    played = [step for step, _ in SCENARIOS[scenario] if step in WIRE_FORMATS["fedex"].steps]
    assert first.status == STEP_STATUS[played[0]]
    assert [event.status for event in result.events] == [STEP_STATUS[step] for step in played]
    assert result.unmapped_codes == ()
    # and a parcel that waited at a pickup point says which one
    assert (result.pickup_point is not None) == ("ready_for_pickup" in played)


def test_simulator_answers_unknown_numbers_like_fedex():
    # given the demo carrier speaking FedEx
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0)))
    adapter = build_adapter("fedex", config=CarrierConfig(base_url="http://simulator/fedex"), client=client)

    # when a number it treats as unknown is fetched
    outcome = adapter.fetch(["NOTFOUND123"])["NOTFOUND123"]

    # then the adapter sees FedEx's not-found answer
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
