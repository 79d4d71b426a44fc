"""GLS Track And Trace v1 adapter (OAuth client credentials), through httpx.MockTransport."""

import base64
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Reason, Status, TrackingError, TrackingResult
from tests.carriers.helpers import FakeOAuthCarrier, carrier_fixture

CET = ZoneInfo("Etc/GMT-1")  # GLS sends "+0100"
TOKEN_PATH = "/oauth2/v2/token"
TRACK_PATH = "/track-and-trace-v1/tracking/simple/trackids/"


def fixture(name: str) -> bytes:
    return carrier_fixture("gls", name)


class FakeGls(FakeOAuthCarrier):
    """GLS answering the token call and then the tracking calls; records every request."""

    carrier = "gls"
    token_path = TOKEN_PATH


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
