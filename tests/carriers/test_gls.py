"""GLS Track And Trace v1 adapter (OAuth client credentials), through httpx.MockTransport."""

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from carriers.registry import build_adapter
from carriers.simulator import SCENARIOS, WIRE_FORMATS, make_wsgi_app, scenario_for
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Reason, Status, TrackingError, TrackingResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers" / "gls"
CET = ZoneInfo("Etc/GMT-1")  # GLS sends "+0100"
TOKEN_PATH = "/oauth2/v2/token"
TRACK_PATH = "/track-and-trace-v1/tracking/simple/trackids/"


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


class FakeGls:
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


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, content=fixture(name))


def gls(fake: FakeGls):
    client = httpx.Client(transport=httpx.MockTransport(fake))
    settings = CarrierConfig(base_url="https://gls.test", username="gls-client", password="gls-secret")
    return build_adapter("gls", config=settings, client=client)


def test_journey_fetches_a_token_then_tracks_with_it():
    # given GLS with a parcel out for delivery
    fake = FakeGls(ok("journey.json"))
    adapter = gls(fake)

    # when it is fetched
    result = adapter.fetch(["36301917596"])["36301917596"]

    # then a client-credentials token is fetched with Basic auth and used as the bearer
    token_call, track_call = fake.requests
    assert token_call.method == "POST"
    assert token_call.url.path == TOKEN_PATH
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"gls-client:gls-secret").decode()
    assert parse_qs(token_call.content.decode()) == {"grant_type": ["client_credentials"]}
    assert track_call.url.path == TRACK_PATH + "36301917596"
    assert track_call.url.params["showEvents"] == "true"
    assert track_call.headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.gls-test-token"
    assert track_call.headers["Accept-Language"] == "EN"
    # and the events map from GLS's FAMILY.VARIANT codes, oldest first, with GLS's offsets kept
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason) for e in result.events] == [
        ("INTIAL.PREADVICE", Status.INFO_RECEIVED, ""),
        ("INTIAL.NORMAL", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("OUTBOD.NORMAL", Status.IN_TRANSIT, ""),
        ("INBOUD.NORMAL", Status.IN_TRANSIT, ""),
        ("OUTDEL.NORMAL", Status.OUT_FOR_DELIVERY, ""),
    ]
    assert result.events[0].occurred_at == datetime(2025, 3, 4, 9, 30, tzinfo=CET)
    assert result.events[-1].text == "The parcel is expected to be delivered during the day."
    assert result.events[-1].location == "61-001 Poznań, PL"
    assert result.status == Status.OUT_FOR_DELIVERY
    assert result.unmapped_codes == ()


def test_delivered_parcel_is_keyed_by_the_requested_number():
    # given a 12-digit number GLS answers under its 11-digit unit number
    adapter = gls(FakeGls(ok("delivered.json")))

    # when it is fetched
    result = adapter.fetch(["604831862623"])["604831862623"]

    # then the result belongs to the number asked for, delivered and final
    assert isinstance(result, TrackingResult)
    assert result.tracking_number == "604831862623"
    assert result.status == Status.DELIVERED
    assert result.is_final is True


def test_parcel_delivered_to_a_parcelshop_is_waiting_there():
    # given GLS's "delivered at the ParcelShop"
    adapter = gls(FakeGls(ok("parcelshop.json")))

    # when it is fetched
    result = adapter.fetch(["42249028960"])["42249028960"]

    # then it is available for pickup (not delivered) in the shop's town
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.is_final is False
    assert result.pickup_point == PickupPoint(id="", postcode="50667", city="Köln", country="DE")


def test_absent_consignee_is_a_failed_attempt():
    # given GLS's "could not be delivered as the consignee was absent"
    adapter = gls(FakeGls(ok("failed_attempt.json")))

    # when it is fetched
    result = adapter.fetch(["36301917597"])["36301917597"]

    # then it is a failed attempt for an absent recipient
    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == Reason.RECIPIENT_ABSENT


def test_return_leg_with_unpublished_codes_is_listed_not_guessed():
    # given a return reported with codes GLS has not published to us
    adapter = gls(FakeGls(ok("return_unverified.json")))

    # when it is fetched
    result = adapter.fetch(["36301917598"])["36301917598"]

    # then the known family decides what it can, the unknown family decides nothing, and both are listed
    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("NOTDEL.ABSENT", Status.FAILED_ATTEMPT, True),
        ("NOTDEL.NOTCOLLECTED", Status.FAILED_ATTEMPT, False),
        ("RETURN.NORMAL", None, False),
    ]
    assert result.unmapped_codes == ("NOTDEL.NOTCOLLECTED", "RETURN.NORMAL")
    assert result.status == Status.FAILED_ATTEMPT
    assert result.latest_event.text == "The parcel is being returned to the sender."


def test_batch_answers_each_number_and_reports_the_unknown_one():
    # given two numbers, one GLS does not know
    fake = FakeGls(ok("batch.json"))
    adapter = gls(fake)

    # when both are fetched
    outcomes = adapter.fetch(["42249018928", "36301917596"])

    # then one call asked for both, and each number has its own outcome
    assert fake.paths() == [TOKEN_PATH, TRACK_PATH + "42249018928,36301917596"]
    missing = outcomes["42249018928"]
    assert isinstance(missing, TrackingError)
    assert missing.kind == ErrorKind.NOT_FOUND
    assert missing.message == "GLS E_404_01: Resource Not Found"
    found = outcomes["36301917596"]
    assert isinstance(found, TrackingResult)
    assert found.status == Status.INFO_RECEIVED


def test_more_than_ten_numbers_are_split_and_share_one_token():
    # given twelve numbers
    fake = FakeGls(ok("batch.json"))
    adapter = gls(fake)
    numbers = [f"3630191{index:04d}" for index in range(12)]

    # when they are fetched
    outcomes = adapter.fetch(numbers)

    # then GLS's limit of 10 per call is kept and the token is fetched once
    assert fake.paths() == [TOKEN_PATH, TRACK_PATH + ",".join(numbers[:10]), TRACK_PATH + ",".join(numbers[10:])]
    assert {outcome.kind for outcome in outcomes.values()} == {ErrorKind.NOT_FOUND}


def test_token_is_reused_until_it_expires():
    # given an adapter whose token lives 14399 s
    fake = FakeGls(ok("journey.json"))
    adapter = gls(fake)
    now = [1000.0]
    adapter.clock = lambda: now[0]

    # when it fetches now, an hour later, and after the token expired
    adapter.fetch(["36301917596"])
    now[0] += 3600
    adapter.fetch(["36301917596"])
    now[0] += 14399
    adapter.fetch(["36301917596"])

    # then the token was asked for only at the start and after expiry
    track = TRACK_PATH + "36301917596"
    assert fake.paths() == [TOKEN_PATH, track, track, TOKEN_PATH, track]


def test_rejected_credentials_fail_every_number_without_tracking():
    # given GLS refusing the client credentials
    fake = FakeGls(ok("journey.json"), token=httpx.Response(401, content=fixture("unauthorized.json")))
    adapter = gls(fake)

    # when two numbers are fetched
    outcomes = adapter.fetch(["36301917596", "36301917597"])

    # then both are auth errors and no tracking call was made
    assert {number: outcome.kind for number, outcome in outcomes.items()} == {
        "36301917596": ErrorKind.AUTH,
        "36301917597": ErrorKind.AUTH,
    }
    assert fake.paths() == [TOKEN_PATH]


def test_token_call_refused_with_400_is_an_auth_error():
    # given the OAuth server answering invalid_client with 400
    fake = FakeGls(ok("journey.json"), token=httpx.Response(400, content=fixture("token_rejected.json")))
    adapter = gls(fake)

    # when a number is fetched
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then it is an auth error, not retried
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH
    assert outcome.retryable is False


def test_revoked_token_is_renewed_once():
    # given a cached token that GLS stops accepting
    fake = FakeGls(ok("journey.json"))
    adapter = gls(fake)
    adapter.fetch(["36301917596"])
    fake.tracking = [httpx.Response(401, content=fixture("unauthorized.json")), ok("journey.json")]

    # when the number is fetched again
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then a fresh token is fetched and the call retried once, successfully
    assert isinstance(outcome, TrackingResult)
    assert fake.paths()[2:] == [TRACK_PATH + "36301917596", TOKEN_PATH, TRACK_PATH + "36301917596"]


def test_rate_limit_carries_retry_after():
    # given GLS's quota violation with Retry-After
    fake = FakeGls(httpx.Response(429, content=fixture("rate_limited.json"), headers={"Retry-After": "3600"}))
    adapter = gls(fake)

    # when a number is fetched
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then it is rate limited for an hour
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.RATE_LIMITED
    assert outcome.retry_after == 3600.0


def test_server_error_is_transient():
    # given GLS failing with 502
    adapter = gls(FakeGls(httpx.Response(502, text="Bad Gateway")))

    # when a number is fetched
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT


def test_timeout_is_transient():
    # given GLS's tracking call timing out after the token was issued
    def tracking_hangs(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, content=fixture("token.json"))
        raise httpx.ReadTimeout("timed out", request=request)

    client = httpx.Client(transport=httpx.MockTransport(tracking_hangs))
    adapter = build_adapter("gls", config=CarrierConfig(base_url="https://gls.test"), client=client)

    # when a number is fetched
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then it is transient
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT


def test_malformed_body_is_a_carrier_error():
    # given a tracking answer that is not JSON
    adapter = gls(FakeGls(httpx.Response(200, text="<html>Authorization failed</html>")))

    # when a number is fetched
    outcome = adapter.fetch(["36301917596"])["36301917596"]

    # then it is a carrier error
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert "not JSON" in outcome.message


def test_unknown_codes_are_listed_and_only_families_guide_the_status():
    # given an unknown variant of a known family and a code of an unknown family
    adapter = gls(FakeGls(ok("unmapped.json")))

    # when it is fetched
    result = adapter.fetch(["36301917599"])["36301917599"]

    # then both are listed; the family variant counts as in transit, the other says nothing
    assert result.unmapped_codes == ("INBOUD.DAMAGED", "XXXXXX.NEW")
    assert [(e.raw_code, e.status) for e in result.events] == [
        ("INTIAL.NORMAL", Status.IN_TRANSIT),
        ("INBOUD.DAMAGED", Status.IN_TRANSIT),
        ("XXXXXX.NEW", None),
    ]
    assert result.status == Status.IN_TRANSIT


def test_events_at_the_same_instant_keep_the_carriers_order():
    # given GLS reporting out-for-delivery and delivery at the same second
    body = fixture("delivered.json").replace(b"2025-03-05T06:52:37+0100", b"2025-03-05T10:02:00+0100")
    adapter = gls(FakeGls(httpx.Response(200, content=body)))

    # when it is fetched
    result = adapter.fetch(["604831862623"])["604831862623"]

    # then delivery stays the newest event, so the parcel is delivered
    assert result.latest_event.status == Status.DELIVERED
    assert result.status == Status.DELIVERED


@pytest.mark.parametrize("scenario", ["locker_pickup", "courier_delivery", "failed_attempt_then_delivery"])
def test_simulator_journey_reads_back_as_the_steps_it_plays(scenario):
    # given the demo carrier speaking GLS, and a number it plays this scenario for
    clock = [datetime(2025, 3, 3, 8, 0, tzinfo=UTC)]
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0, clock=lambda: clock[0])))
    adapter = build_adapter("gls", config=CarrierConfig(base_url="http://simulator/gls"), client=client)
    number = next(n for n in (f"{36301900000 + i}" for i in range(1000)) if scenario_for("gls", n) == scenario)
    first = adapter.fetch([number])[number]  # the first question starts the journey
    clock[0] += timedelta(days=3)

    # when the number is fetched after the whole journey has played
    result = adapter.fetch([number])[number]

    # then the adapter reads every step as what it means, with no code left unmapped
    played = [step for step, _ in SCENARIOS[scenario] if step in WIRE_FORMATS["gls"].steps]
    assert first.status == STEP_STATUS[played[0]]
    assert [event.status for event in result.events] == [STEP_STATUS[step] for step in played]
    assert result.unmapped_codes == ()
    # and a parcel that waited at a pickup point says which one
    assert (result.pickup_point is not None) == ("ready_for_pickup" in played)


def test_simulator_answers_unknown_numbers_like_gls():
    # given the demo carrier speaking GLS
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=1.0)))
    adapter = build_adapter("gls", config=CarrierConfig(base_url="http://simulator/gls"), client=client)

    # when a number it treats as unknown is fetched
    outcome = adapter.fetch(["NOTFOUND123"])["NOTFOUND123"]

    # then the adapter sees GLS's not-found answer
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
