"""UPS Track API v1 adapter (OAuth client credentials), through httpx.MockTransport."""

import base64
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers" / "ups"
WARSAW = ZoneInfo("Europe/Warsaw")
CET = ZoneInfo("Etc/GMT-1")  # UPS's gmtOffset "+01:00"
TOKEN_PATH = "/security/v1/oauth/token"
DETAILS_PATH = "/api/track/v1/details/"


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


class FakeUps:
    """Answers the token call and the details calls; records every request."""

    def __init__(self, details: httpx.Response, token: httpx.Response | None = None) -> None:
        self.details = details
        self.token = token or httpx.Response(200, content=fixture("token.json"))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.token if request.url.path == TOKEN_PATH else self.details

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture(name))


def ups(fake: FakeUps, **extra: str):
    client = httpx.Client(transport=httpx.MockTransport(fake))
    settings = CarrierConfig(base_url="https://ups.test", username="ups-client", password="ups-secret", extra=extra)
    return build_adapter("ups", config=settings, client=client)


def test_journey_tracks_with_a_token_and_maps_code_before_status_code_before_type():
    # given a UPS package out for delivery in Warsaw
    fake = FakeUps(ok("journey.json"))
    adapter = ups(fake)

    # when it is fetched
    result = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then the token call uses Basic client credentials and the details call the bearer token
    token_call, details_call = fake.requests
    assert token_call.method == "POST"
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"ups-client:ups-secret").decode()
    assert parse_qs(token_call.content.decode()) == {"grant_type": ["client_credentials"]}
    assert "x-merchant-id" not in token_call.headers
    assert details_call.url.path == DETAILS_PATH + "1Z12345E0205271688"
    assert dict(details_call.url.params) == {"locale": "en_US", "returnSignature": "false"}
    assert details_call.headers["Authorization"] == "Bearer eyJraWQiOiJ1cHMtdGVzdCJ9.ups-test-token"
    assert re.fullmatch(r"[0-9a-f]{32}", details_call.headers["transId"])
    assert details_call.headers["transactionSrc"] == "parcelfront"
    # and activities map by code (OT, MP), else by status code (PU's 038, DP/AR's 005)
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("MP", Status.INFO_RECEIVED, ""),
        ("PU", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("DP", Status.IN_TRANSIT, ""),
        ("AR", Status.IN_TRANSIT, ""),
        ("OT", Status.OUT_FOR_DELIVERY, ""),
    ]
    # and times come from the GMT fields with UPS's offset, or the carrier zone without them
    assert result.events[0].occurred_at == datetime(2025, 3, 4, 9, 16, 41, tzinfo=WARSAW)
    assert result.events[-1].occurred_at == datetime(2025, 3, 5, 7, 44, tzinfo=CET)
    assert result.events[-1].text == "Out For Delivery Today"
    assert result.events[-1].location == "Warszawa, PL"
    assert result.status == Status.OUT_FOR_DELIVERY
    # and the estimated delivery window sits on the scheduled day
    assert result.eta_from == datetime(2025, 3, 5, 9, 30, tzinfo=WARSAW)
    assert result.eta_to == datetime(2025, 3, 5, 13, 30, tzinfo=WARSAW)
    assert result.service == "UPS Standard"
    assert result.unmapped_codes == ()


def test_delivered_package_has_proof_of_delivery_and_no_eta():
    # given a delivered package with the name of who received it
    adapter = ups(FakeUps(ok("delivered.json")))

    # when it is fetched
    result = adapter.fetch(["1Z12345E6605272234"])["1Z12345E6605272234"]

    # then it is delivered, final, signed for, and no longer estimated
    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.proof_of_delivery == ProofOfDelivery(
        signed_by="NOWAK", timestamp=datetime(2025, 3, 5, 11, 27, tzinfo=CET)
    )
    assert result.eta_from is None and result.eta_to is None


def test_package_at_an_access_point_is_waiting_there():
    # given a package delivered to a UPS Access Point
    adapter = ups(FakeUps(ok("access_point.json")))

    # when it is fetched
    result = adapter.fetch(["1Z12345E1305277940"])["1Z12345E1305277940"]

    # then it is available for pickup where the scan happened (the Track API gives no point id)
    assert [(e.status, e.reason) for e in result.events] == [
        (Status.IN_TRANSIT, Reason.REDIRECTED),
        (Status.AVAILABLE_FOR_PICKUP, ""),
    ]
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.pickup_point == PickupPoint(
        id="", address="ul. Prosta 1", postcode="00-850", city="Warszawa", country="PL"
    )


def test_missed_receiver_is_a_failed_attempt_with_the_rescheduled_day():
    # given an exception scan for an absent receiver and a rescheduled delivery date
    adapter = ups(FakeUps(ok("failed_attempt.json")))

    # when it is fetched
    result = adapter.fetch(["1Z12345E6205277936"])["1Z12345E6205277936"]

    # then it is a failed attempt (not a generic exception) expected on the rescheduled day
    assert result.status == Status.FAILED_ATTEMPT
    assert result.latest_event.raw_code == "48"
    assert result.eta_from == datetime(2025, 3, 6, 0, 0, tzinfo=WARSAW)
    assert result.eta_to == datetime(2025, 3, 6, 23, 59, 59, tzinfo=WARSAW)


def test_return_ends_returned_even_though_the_type_says_delivered():
    # given a package returned after the final attempt; UPS marks the return delivery with type D
    adapter = ups(FakeUps(ok("returned.json")))

    # when it is fetched
    result = adapter.fetch(["1Z12345E0305271640"])["1Z12345E0305271640"]

    # then the status code (034 Returned to Sender) wins over the type
    assert [e.status for e in result.events] == [
        Status.FAILED_ATTEMPT,
        Status.RETURNING_TO_SENDER,
        Status.RETURNED_TO_SENDER,
    ]
    assert result.status == Status.RETURNED_TO_SENDER
    assert result.is_final is True


def test_unknown_number_warning_is_not_found():
    # given UPS's 200 answer with warning TW0001
    adapter = ups(FakeUps(ok("not_found_warning.json")))

    # when it is fetched
    outcome = adapter.fetch(["1Z12345E1505270452"])["1Z12345E1505270452"]

    # then it is not found
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
    assert outcome.message == "UPS TW0001: Tracking Information Not Found"


def test_unknown_number_404_is_not_found():
    # given UPS's 404 answer for the number
    adapter = ups(FakeUps(httpx.Response(404, content=fixture("not_found.json"))))

    # when it is fetched
    outcome = adapter.fetch(["1Z12345E1505270452"])["1Z12345E1505270452"]

    # then it is not found
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
    assert outcome.http_status == 404


def test_invalid_number_is_told_apart():
    # given UPS's 400 for an inquiry number it cannot read
    adapter = ups(FakeUps(httpx.Response(400, content=fixture("invalid_number.json"))))

    # when it is fetched
    outcome = adapter.fetch(["1Z12345E02052716"])["1Z12345E02052716"]

    # then it is an invalid number, not retried
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.INVALID_NUMBER
    assert outcome.retryable is False


def test_rejected_client_credentials_are_an_auth_error_without_tracking():
    # given the token call refused with 401
    fake = FakeUps(ok("journey.json"), token=httpx.Response(401, content=fixture("unauthorized.json")))
    adapter = ups(fake)

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is an auth error and the details endpoint was never called
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH
    assert fake.paths() == [TOKEN_PATH]


def test_token_call_refused_with_400_is_an_auth_error():
    # given UPS answering an unknown client id with 400
    fake = FakeUps(ok("journey.json"), token=httpx.Response(400, content=fixture("token_rejected.json")))
    adapter = ups(fake)

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is an auth error
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH


def test_token_is_cached_on_the_adapter():
    # given one adapter instance
    fake = FakeUps(ok("journey.json"))
    adapter = ups(fake)

    # when it fetches two numbers one after the other
    adapter.fetch(["1Z12345E0205271688"])
    adapter.fetch(["1Z12345E6605272234"])

    # then UPS issued one token for both
    assert fake.paths() == [TOKEN_PATH, DETAILS_PATH + "1Z12345E0205271688", DETAILS_PATH + "1Z12345E6605272234"]


def test_threads_sharing_an_adapter_share_one_token():
    # given one adapter used by four threads at once, as the poller does, and a slow token endpoint
    fake = FakeUps(ok("journey.json"))
    barrier = threading.Barrier(4)

    def slow_token(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            time.sleep(0.05)
        return fake(request)

    client = httpx.Client(transport=httpx.MockTransport(slow_token))
    adapter = build_adapter("ups", config=CarrierConfig(base_url="https://ups.test"), client=client)

    def fetch(number: str) -> object:
        barrier.wait()
        return adapter.fetch([number])[number]

    # when four numbers are fetched concurrently
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(fetch, [f"1Z12345E020527168{index}" for index in range(4)]))

    # then UPS was asked for one token, and every number was tracked with it
    assert fake.paths().count(TOKEN_PATH) == 1
    assert fake.paths().count(TOKEN_PATH) + 4 == len(fake.requests)
    assert all(isinstance(outcome, TrackingResult) for outcome in outcomes)


def test_merchant_id_goes_to_the_token_call():
    # given a configured merchant (shipper) id
    fake = FakeUps(ok("journey.json"))
    adapter = ups(fake, merchant_id="A1B2C3")

    # when a number is fetched
    adapter.fetch(["1Z12345E0205271688"])

    # then the token is asked for that merchant
    assert fake.requests[0].headers["x-merchant-id"] == "A1B2C3"


def test_rate_limit_carries_retry_after():
    # given UPS throttling the details call
    adapter = ups(FakeUps(httpx.Response(429, text="Too Many Requests", headers={"Retry-After": "60"})))

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is rate limited for a minute
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.RATE_LIMITED
    assert outcome.retry_after == 60.0


def test_server_error_is_transient():
    # given UPS failing with 503
    adapter = ups(FakeUps(httpx.Response(503, text="Resource is not available")))

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT


def test_timeout_is_transient():
    # given UPS's token endpoint not answering in time
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = httpx.Client(transport=httpx.MockTransport(hang))
    adapter = build_adapter("ups", config=CarrierConfig(base_url="https://ups.test"), client=client)

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT


def test_malformed_body_is_a_carrier_error():
    # given a details answer without the trackResponse UPS always sends
    adapter = ups(FakeUps(httpx.Response(200, json={"unexpected": True})))

    # when a number is fetched
    outcome = adapter.fetch(["1Z12345E0205271688"])["1Z12345E0205271688"]

    # then it is a carrier error
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert "trackResponse" in outcome.message


def test_unmapped_codes_are_listed_and_only_known_types_guide_the_status():
    # given an unknown code of a known type and an unknown code of an unknown type
    adapter = ups(FakeUps(ok("unmapped.json")))

    # when it is fetched
    result = adapter.fetch(["1Z12345E0205271699"])["1Z12345E0205271699"]

    # then both codes are listed; type I still counts as in transit, type Q says nothing
    assert result.unmapped_codes == ("ZZ", "QQ")
    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("MP", Status.INFO_RECEIVED, True),
        ("ZZ", Status.IN_TRANSIT, False),
        ("QQ", None, False),
    ]
    assert result.status == Status.IN_TRANSIT


def test_events_at_the_same_instant_keep_the_carriers_order():
    # given UPS reporting out-for-delivery and delivery at the same second
    body = fixture("delivered.json").replace(b'"gmtTime": "64400"', b'"gmtTime": "102700"')
    adapter = ups(FakeUps(httpx.Response(200, content=body)))

    # when it is fetched
    result = adapter.fetch(["1Z12345E6605272234"])["1Z12345E6605272234"]

    # then delivery stays the newest event, so the parcel is delivered
    assert result.latest_event.status == Status.DELIVERED
    assert result.status == Status.DELIVERED


@pytest.mark.parametrize(
    "scenario", ["locker_pickup", "courier_delivery", "failed_attempt_then_delivery", "delayed", "return_to_sender"]
)
def test_simulator_journey_reads_back_as_the_steps_it_plays(scenario):
    # given the demo carrier speaking UPS, and a number it plays this scenario for
    clock = [datetime(2025, 3, 3, 8, 0, tzinfo=UTC)]
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0, clock=lambda: clock[0])))
    adapter = build_adapter("ups", config=CarrierConfig(base_url="http://simulator/ups"), client=client)
    number = next(n for n in (f"1Z12345E{i:010d}" for i in range(1000)) if scenario_for("ups", n) == scenario)
    first = adapter.fetch([number])[number]  # the first question starts the journey
    clock[0] += timedelta(days=3)

    # when the number is fetched after the whole journey has played
    result = adapter.fetch([number])[number]

    # then the adapter reads every step as what it means, with no code left unmapped
    played = [step for step, _ in SCENARIOS[scenario] if step in WIRE_FORMATS["ups"].steps]
    assert first.status == STEP_STATUS[played[0]]
    assert [event.status for event in result.events] == [STEP_STATUS[step] for step in played]
    assert result.unmapped_codes == ()
    # and a parcel that waited at a pickup point says which one
    assert (result.pickup_point is not None) == ("ready_for_pickup" in played)


def test_simulator_answers_unknown_numbers_like_ups():
    # given the demo carrier speaking UPS
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0)))
    adapter = build_adapter("ups", config=CarrierConfig(base_url="http://simulator/ups"), client=client)

    # when a number it treats as unknown is fetched
    outcome = adapter.fetch(["NOTFOUND123"])["NOTFOUND123"]

    # then the adapter sees UPS's not-found answer
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
