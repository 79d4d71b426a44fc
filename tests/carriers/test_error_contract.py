"""The failure contract every HTTP carrier adapter keeps, and its reading of the demo simulator.

Each carrier fills one row: how to build its adapter on a fake transport, the numbers to ask for, and the
carrier's own wording of each failure. Carrier-specific behaviour stays in the carrier's own test module.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from carriers.base import CarrierAdapter
from carriers.registry import build_adapter
from carriers.simulator import SCENARIOS, WIRE_FORMATS, make_wsgi_app, scenario_for
from carriers.types import CarrierConfig, ErrorKind, Status, TrackingError, TrackingResult
from tests.carriers.helpers import STEP_STATUS, FakeOAuthCarrier, carrier_fixture

Handler = Callable[[httpx.Request], httpx.Response]
ALL_SCENARIOS = ("locker_pickup", "courier_delivery", "failed_attempt_then_delivery", "delayed", "return_to_sender")


@dataclass(frozen=True)
class Throttle:
    """The carrier's 429: its body and the Retry-After it sends."""

    retry_after: str
    body: str = ""
    fixture: str = ""


@dataclass(frozen=True)
class SameInstant:
    """A recorded delivery whose out-for-delivery time is moved onto the delivery time."""

    number: str
    fixture: str
    out_for_delivery_at: bytes
    delivered_at: bytes


@dataclass(frozen=True)
class Contract:
    """How one carrier is built for these tests and how it words each failure."""

    code: str
    name: str
    numbers: tuple[str, str]
    config: Mapping[str, object]
    throttle: Throttle
    server_error: tuple[int, str]
    timeout: type[httpx.TimeoutException]
    malformed: httpx.Response
    malformed_names: str
    same_instant: SameInstant
    simulator_number: Callable[[int], str]
    token_path: str = ""  # set for carriers that fetch an OAuth token before tracking
    timeout_at_token: bool = False
    batched: bool = True  # one tracking call answers several numbers
    expired_token_fixture: str = ""
    track_path: str = ""  # the path of the tracking call for the first number
    unauthorized: bytes = b""  # what a keyed carrier answers a refused key with, as HTTP 401
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    simulator_config: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.code

    def fixture(self, name: str) -> bytes:
        return carrier_fixture(self.code, name)

    def fake(self, *tracking: httpx.Response, token: httpx.Response | None = None) -> FakeOAuthCarrier:
        fake_class = type("Fake", (FakeOAuthCarrier,), {"carrier": self.code, "token_path": self.token_path})
        return fake_class(*tracking, token=token)

    def adapter(self, handler: Handler) -> CarrierAdapter:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        return build_adapter(self.code, config=CarrierConfig(**self.config), client=client)

    def answering(self, tracking: Handler) -> CarrierAdapter:
        """An adapter whose tracking calls get ``tracking``'s answer, after a token where the carrier needs one."""
        if not self.token_path:
            return self.adapter(tracking)
        token = httpx.Response(200, content=self.fixture("token.json"))
        return self.adapter(lambda request: token if request.url.path == self.token_path else tracking(request))

    def simulator_adapter(self, clock: Callable[[], datetime] | None = None) -> CarrierAdapter:
        app = make_wsgi_app(speed=1.0, clock=clock) if clock else make_wsgi_app(speed=1.0)
        client = httpx.Client(transport=httpx.WSGITransport(app=app))
        config = CarrierConfig(base_url=f"http://simulator/{self.code}", **self.simulator_config)
        return build_adapter(self.code, config=config, client=client)


FEDEX = Contract(
    code="fedex",
    name="FedEx",
    numbers=("794887075005", "794887075006"),
    config={"base_url": "https://fedex.test", "username": "fedex-key", "password": "fedex-secret"},
    token_path="/oauth/token",
    expired_token_fixture="token_expired.json",
    track_path="/track/v1/trackingnumbers",
    throttle=Throttle(retry_after="10", fixture="rate_limited.json"),
    server_error=(500, '{"errors": [{"code": "INTERNAL.SERVER.ERROR"}]}'),
    timeout=httpx.WriteTimeout,
    malformed=httpx.Response(200, text="<html>Gateway</html>"),
    malformed_names="not JSON",
    same_instant=SameInstant(
        "794887075006", "delivered.json", b"2025-03-05T07:44:00+01:00", b"2025-03-05T11:27:00+01:00"
    ),
    simulator_number=lambda index: f"{794887000000 + index}",
)
GLS = Contract(
    code="gls",
    name="GLS",
    numbers=("36301917596", "36301917597"),
    config={"base_url": "https://gls.test", "username": "gls-client", "password": "gls-secret"},
    token_path="/oauth2/v2/token",
    expired_token_fixture="unauthorized.json",
    track_path="/track-and-trace-v1/tracking/simple/trackids/36301917596",
    throttle=Throttle(retry_after="3600", fixture="rate_limited.json"),
    server_error=(502, "Bad Gateway"),
    timeout=httpx.ReadTimeout,
    malformed=httpx.Response(200, text="<html>Authorization failed</html>"),
    malformed_names="not JSON",
    same_instant=SameInstant(
        "604831862623", "delivered.json", b"2025-03-05T06:52:37+0100", b"2025-03-05T10:02:00+0100"
    ),
    simulator_number=lambda index: f"{36301900000 + index}",
    scenarios=("locker_pickup", "courier_delivery", "failed_attempt_then_delivery"),
)
UPS = Contract(
    code="ups",
    name="UPS",
    numbers=("1Z12345E0205271688", "1Z12345E6605272234"),
    config={"base_url": "https://ups.test", "username": "ups-client", "password": "ups-secret"},
    token_path="/security/v1/oauth/token",
    timeout_at_token=True,
    batched=False,
    throttle=Throttle(retry_after="60", body="Too Many Requests"),
    server_error=(503, "Resource is not available"),
    timeout=httpx.ReadTimeout,
    malformed=httpx.Response(200, json={"unexpected": True}),
    malformed_names="trackResponse",
    same_instant=SameInstant("1Z12345E6605272234", "delivered.json", b'"gmtTime": "64400"', b'"gmtTime": "102700"'),
    simulator_number=lambda index: f"1Z12345E{index:010d}",
)
DPD = Contract(
    code="dpd",
    name="DPD",
    numbers=("0000123456789U", "0000123456790U"),
    config={"base_url": "https://dpd.test", "username": "login&co", "password": "p<w>", "account": "1495"},
    unauthorized=b"Unauthorized",
    throttle=Throttle(retry_after="30", body="Too Many Requests"),
    server_error=(503, "Service Unavailable"),
    timeout=httpx.ConnectTimeout,
    malformed=httpx.Response(200, text="<html><body>Przerwa techniczna</body></html>"),
    malformed_names="getEventsForWaybillV1Response",
    same_instant=SameInstant("0000123456789U", "delivered.xml", b"2025-03-04T07:58:02", b"2025-03-04T13:05:44"),
    simulator_number=lambda index: f"{index:013d}U",
)
DHL = Contract(
    code="dhl",
    name="DHL",
    numbers=("7777777770", "7777777771"),
    config={"base_url": "https://dhl.test", "api_key": "dhl-key", "timeout": 7.5},
    unauthorized=carrier_fixture("dhl", "unauthorized.json"),
    throttle=Throttle(retry_after="120", fixture="rate_limited.json"),
    server_error=(503, "Service Unavailable"),
    timeout=httpx.ReadTimeout,
    malformed=httpx.Response(200, text="<html>maintenance</html>"),
    malformed_names="not JSON",
    same_instant=SameInstant(
        "00340434292135100124", "delivered.json", b"2025-03-06T07:41:00+01:00", b"2025-03-06T11:27:00+01:00"
    ),
    simulator_number=lambda index: f"00340434{index:012d}",
    simulator_config={"api_key": "demo"},
)
CARRIERS = [FEDEX, GLS, UPS, DPD, DHL]
OAUTH_CARRIERS = [carrier for carrier in CARRIERS if carrier.token_path]
KEYED_CARRIERS = [carrier for carrier in CARRIERS if not carrier.token_path]


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_rate_limit_carries_retry_after(carrier: Contract):
    # given the carrier throttling with Retry-After
    throttle = carrier.throttle
    body = carrier.fixture(throttle.fixture) if throttle.fixture else throttle.body.encode()
    answer = httpx.Response(429, content=body, headers={"Retry-After": throttle.retry_after})
    adapter = carrier.answering(lambda request: answer)
    number = carrier.numbers[0]

    # when a number is fetched
    outcome = adapter.fetch([number])[number]

    # then it is rate limited, retryable after the time the carrier asked for
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.RATE_LIMITED
    assert outcome.retry_after == float(throttle.retry_after)
    assert outcome.retryable is True


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_server_error_is_transient_for_the_whole_batch(carrier: Contract):
    # given the carrier failing with a 5xx
    status, text = carrier.server_error
    adapter = carrier.answering(lambda request: httpx.Response(status, text=text))

    # when two numbers are fetched
    outcomes = adapter.fetch(list(carrier.numbers))

    # then each is a transient error worth retrying, carrying the carrier's status
    assert set(outcomes) == set(carrier.numbers)
    assert {outcome.kind for outcome in outcomes.values()} == {ErrorKind.TRANSIENT}
    assert {outcome.http_status for outcome in outcomes.values()} == {status}
    assert {outcome.retryable for outcome in outcomes.values()} == {True}


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_timeout_is_transient(carrier: Contract):
    # given the carrier not answering in time (the token call, or the tracking call after the token)
    def hang(request: httpx.Request) -> httpx.Response:
        raise carrier.timeout("timed out", request=request)

    adapter = carrier.adapter(hang) if carrier.timeout_at_token else carrier.answering(hang)
    number = carrier.numbers[0]

    # when a number is fetched
    outcome = adapter.fetch([number])[number]

    # then it is transient, not a crash
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.TRANSIENT
    assert outcome.message == f"{carrier.name} timed out: {carrier.timeout.__name__}"


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_malformed_body_is_a_carrier_error(carrier: Contract):
    # given a tracking answer that is not what the carrier always sends
    adapter = carrier.answering(lambda request: carrier.malformed)
    number = carrier.numbers[0]

    # when a number is fetched
    outcome = adapter.fetch([number])[number]

    # then it is a carrier error naming the problem
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert carrier.malformed_names in outcome.message


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_events_at_the_same_instant_keep_the_carriers_order(carrier: Contract):
    # given the carrier reporting out-for-delivery and delivery at the same time
    same = carrier.same_instant
    body = carrier.fixture(same.fixture).replace(same.out_for_delivery_at, same.delivered_at)
    adapter = carrier.answering(lambda request: httpx.Response(200, content=body))

    # when it is fetched
    result = adapter.fetch([same.number])[same.number]

    # then delivery stays the newest event, so the parcel is delivered
    assert result.latest_event.status == Status.DELIVERED
    assert result.status == Status.DELIVERED


@pytest.mark.parametrize("carrier", OAUTH_CARRIERS, ids=str)
def test_rejected_credentials_fail_every_number_without_tracking(carrier: Contract):
    # given the carrier refusing the client credentials with 401
    fake = carrier.fake(
        httpx.Response(200, content=carrier.fixture("journey.json")),
        token=httpx.Response(401, content=carrier.fixture("unauthorized.json")),
    )
    adapter = carrier.adapter(fake)

    numbers = list(carrier.numbers if carrier.batched else carrier.numbers[:1])

    # when the numbers of one tracking call are fetched
    outcomes = adapter.fetch(numbers)

    # then each is an auth error and no tracking call was made
    assert {number: outcome.kind for number, outcome in outcomes.items()} == dict.fromkeys(numbers, ErrorKind.AUTH)
    assert fake.paths() == [carrier.token_path]


@pytest.mark.parametrize("carrier", KEYED_CARRIERS, ids=str)
def test_rejected_key_is_an_auth_error(carrier: Contract):
    # given the carrier refusing the key or login with 401
    adapter = carrier.adapter(lambda request: httpx.Response(401, content=carrier.unauthorized))
    number = carrier.numbers[0]

    # when a number is fetched
    outcome = adapter.fetch([number])[number]

    # then it is an auth error, not retried
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH
    assert outcome.http_status == 401
    assert outcome.retryable is False


@pytest.mark.parametrize("carrier", [GLS, UPS], ids=str)
def test_token_call_refused_with_400_is_an_auth_error(carrier: Contract):
    # given the OAuth server answering an unknown client with 400
    fake = carrier.fake(
        httpx.Response(200, content=carrier.fixture("journey.json")),
        token=httpx.Response(400, content=carrier.fixture("token_rejected.json")),
    )
    adapter = carrier.adapter(fake)
    number = carrier.numbers[0]

    # when a number is fetched
    outcome = adapter.fetch([number])[number]

    # then it is an auth error, not retried
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.AUTH
    assert outcome.retryable is False


@pytest.mark.parametrize("carrier", [carrier for carrier in OAUTH_CARRIERS if carrier.expired_token_fixture], ids=str)
def test_expired_token_is_renewed_once(carrier: Contract):
    # given a cached token that the carrier stops accepting
    journey = httpx.Response(200, content=carrier.fixture("journey.json"))
    fake = carrier.fake(journey)
    adapter = carrier.adapter(fake)
    number = carrier.numbers[0]
    adapter.fetch([number])
    fake.tracking = [httpx.Response(401, content=carrier.fixture(carrier.expired_token_fixture)), journey]

    # when the number is fetched again
    outcome = adapter.fetch([number])[number]

    # then a fresh token is fetched and the call repeated once, successfully
    assert isinstance(outcome, TrackingResult)
    assert fake.paths()[2:] == [carrier.track_path, carrier.token_path, carrier.track_path]


@pytest.mark.parametrize(
    ("carrier", "scenario"),
    [(carrier, scenario) for carrier in CARRIERS for scenario in carrier.scenarios],
    ids=lambda value: str(value),
)
def test_simulator_journey_reads_back_as_the_steps_it_plays(carrier: Contract, scenario: str):
    # given the demo carrier speaking this carrier's API, and a number it plays this scenario for
    clock = [datetime(2025, 3, 3, 8, 0, tzinfo=UTC)]
    adapter = carrier.simulator_adapter(clock=lambda: clock[0])
    numbers = (carrier.simulator_number(index) for index in range(1000))
    number = next(n for n in numbers if scenario_for(carrier.code, n) == scenario)
    first = adapter.fetch([number])[number]  # the first question starts the journey
    clock[0] += timedelta(days=3)

    # when the number is fetched after the whole journey has played
    result = adapter.fetch([number])[number]

    # then the adapter reads every step as what it means, with no code or text left unrecognized
    played = [step for step, _ in SCENARIOS[scenario] if step in WIRE_FORMATS[carrier.code].steps]
    assert first.status == STEP_STATUS[played[0]]
    assert [event.status for event in result.events] == [STEP_STATUS[step] for step in played]
    assert result.unmapped_codes == ()
    assert result.unrecognized_texts == ()
    # and a parcel that waited at a pickup point says which one
    assert (result.pickup_point is not None) == ("ready_for_pickup" in played)


@pytest.mark.parametrize("carrier", CARRIERS, ids=str)
def test_simulator_answers_unknown_numbers_like_the_carrier(carrier: Contract):
    # given the demo carrier speaking this carrier's API
    adapter = carrier.simulator_adapter()

    # when a number it treats as unknown is fetched
    outcome = adapter.fetch(["NOTFOUND123"])["NOTFOUND123"]

    # then the adapter sees the carrier's not-found answer
    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
