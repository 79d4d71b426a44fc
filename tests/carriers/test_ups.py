"""UPS Track API v1 adapter (OAuth client credentials), through httpx.MockTransport."""

import base64
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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

WARSAW = ZoneInfo("Europe/Warsaw")
CET = ZoneInfo("Etc/GMT-1")  # UPS's gmtOffset "+01:00"
TOKEN_PATH = "/security/v1/oauth/token"
DETAILS_PATH = "/api/track/v1/details/"


def fixture(name: str) -> bytes:
    return carrier_fixture("ups", name)


class FakeUps(FakeOAuthCarrier):
    """UPS answering the token call and then the tracking calls; records every request."""

    carrier = "ups"
    token_path = TOKEN_PATH


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
