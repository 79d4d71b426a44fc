"""Poczta Polska USS 2.0 adapter against recorded-shape payloads through httpx.MockTransport."""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import httpx

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Status, TrackingError, TrackingResult
from tests.carriers.helpers import carrier_fixture

WARSAW = ZoneInfo("Europe/Warsaw")
API = "https://uss.poczta-polska.pl/uss/v2.0/tracking"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=carrier_fixture("poczta_polska", name), headers={"Content-Type": "application/json", **headers}
    )


def poczta(handler: Handler, requests: list[httpx.Request] | None = None, **config: object):
    def recording(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    settings = {"api_key": "KEY-1", **config}
    return build_adapter("poczta_polska", config=CarrierConfig(**settings), client=client)


def test_full_international_journey_with_verbatim_names_and_warsaw_times():
    # given
    requests: list[httpx.Request] = []

    # when
    result = poczta(lambda request: fixture("journey.json"), requests).fetch(["CP263297245PL"])["CP263297245PL"]

    # then one GET checkmailex with the api_key header
    assert [(r.method, str(r.url)) for r in requests] == [
        ("GET", f"{API}/checkmailex?number=CP263297245PL&language=PL&states=true")
    ]
    assert requests[0].headers["api_key"] == "KEY-1"
    # and the names are exactly Poczta Polska's
    assert [(e.raw_code, e.text, e.location, e.status, e.reason) for e in result.events] == [
        ("P_NAD", "Nadanie", "UP Warszawa 1", Status.IN_TRANSIT, "picked_up"),
        ("P_WZL", "Wysłanie przesyłki", "UP Warszawa 1", Status.IN_TRANSIT, ""),
        ("P_PZL", "Nadejście", "Terminal Przeładunkowy", Status.IN_TRANSIT, ""),
        ("P_WYPL", "Wysłano z Polski", "WER Warszawa", Status.IN_TRANSIT, ""),
        ("P_ZPUCPP", "Etap przed zgłoszeniem celnym", "FRANKFURT", Status.IN_TRANSIT, "customs"),
    ]
    assert result.events[0].occurred_at == datetime(2025, 3, 4, 19, 5, tzinfo=WARSAW)
    assert result.status == Status.IN_TRANSIT
    assert result.reason == "customs"
    assert result.service == "Paczka pocztowa ekonomiczna"
    assert result.pickup_point is None
    assert result.unmapped_codes == ()


def test_delivered_is_final():
    result = poczta(lambda request: fixture("delivered.json")).fetch(["RR123456785PL"])["RR123456785PL"]

    assert [e.status for e in result.events] == [
        Status.IN_TRANSIT,
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
    ]
    assert result.status == Status.DELIVERED
    assert result.is_final is True


def test_failed_attempt_then_notice_names_the_post_office_and_drops_withdrawn_scans():
    result = poczta(lambda request: fixture("failed_attempt.json")).fetch(["PX1234567890"])["PX1234567890"]

    # the scan the post office canceled is not shown
    assert [e.raw_code for e in result.events] == ["P_NAD", "P_WD", "P_NDPJ", "P_A"]
    assert result.events[2].status == Status.FAILED_ATTEMPT
    assert result.status == Status.AVAILABLE_FOR_PICKUP
    assert result.reason == "recipient_absent"
    assert result.pickup_point == PickupPoint(
        id="611705",
        name="UP Poznań 5",
        address="ul. Kościuszki 7",
        postcode="61-705",
        city="Poznań",
        country="PL",
        opening_hours="08:00:00-19:00:00",
        latitude=52.4064,
        longitude=16.9252,
    )


def test_return_to_sender_is_not_final_yet():
    result = poczta(lambda request: fixture("returned.json")).fetch(["RR987654321PL"])["RR987654321PL"]

    assert result.status == Status.RETURNING_TO_SENDER
    assert result.is_final is False
    assert result.events[-1].text == "Zwrot przesyłki do nadawcy - nie podjęto w terminie"


def test_unknown_number_is_not_found_from_mail_status():
    outcome = poczta(lambda request: fixture("not_found.json")).fetch(["RR000000000PL"])["RR000000000PL"]

    assert outcome == TrackingError(ErrorKind.NOT_FOUND, "Poczta Polska does not know this number")


def test_unmapped_codes_use_their_family_or_stay_unknown(caplog):
    with caplog.at_level(logging.WARNING, logger="carriers"):
        result = poczta(lambda request: fixture("unmapped.json")).fetch(["RR111111111PL"])["RR111111111PL"]

    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("P_NAD", Status.IN_TRANSIT, True),
        ("P_NDKP", Status.FAILED_ATTEMPT, False),
        ("P_XYZ", None, False),
    ]
    assert result.status == Status.FAILED_ATTEMPT
    assert result.unmapped_codes == ("P_NDKP", "P_XYZ")
    assert [record.raw_code for record in caplog.records] == ["P_NDKP", "P_XYZ"]


def test_batch_account_uses_checkmailcollectionex_and_one_bad_number_does_not_fail_the_others():
    # given an account allowed four numbers per batch call, and five numbers
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/checkmailcollectionex"):
            return fixture("batch.json")
        return httpx.Response(503)

    adapter = poczta(handler, requests, extra=MappingProxyType({"batch_size": "4"}))
    numbers = ["RR123456785PL", "RR000000000PL", "RR222222222PL", "XX12", "RR333333333PL"]

    # when
    outcomes = adapter.fetch(numbers)

    # then four went in one POST and the fifth alone
    assert [(r.method, r.url.path) for r in requests] == [
        ("POST", "/uss/v2.0/tracking/checkmailcollectionex"),
        ("GET", "/uss/v2.0/tracking/checkmailex"),
    ]
    assert json.loads(requests[0].content) == {"number": numbers[:4], "language": "PL", "states": True}
    # and each number has its own outcome
    assert isinstance(outcomes["RR123456785PL"], TrackingResult)
    assert outcomes["RR123456785PL"].status == Status.DELIVERED
    assert outcomes["RR000000000PL"].kind == ErrorKind.NOT_FOUND
    assert outcomes["RR222222222PL"] == TrackingError(
        ErrorKind.CARRIER_ERROR, "malformed Poczta Polska response: Poczta Polska sent an unreadable time 'not a time'"
    )
    assert outcomes["XX12"].kind == ErrorKind.INVALID_NUMBER
    assert outcomes["RR333333333PL"].kind == ErrorKind.TRANSIENT


def test_batch_size_is_capped_at_the_api_maximum():
    adapter = poczta(lambda request: fixture("delivered.json"), extra=MappingProxyType({"batch_size": "5000"}))

    assert adapter.batch_size == 999


def test_login_once_when_only_username_and_password_are_configured():
    # given no api_key, only an account
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json="TOKEN-42")
        return fixture("delivered.json")

    adapter = poczta(handler, requests, api_key="", username="shop1", password="tajne")

    # when two fetches run
    adapter.fetch(["RR123456785PL"])
    adapter.fetch(["RR123456785PL"])

    # then the login happened once, with a SHA-256 of the password, and the token was reused
    assert [r.url.path for r in requests] == [
        "/uss/v2.0/tracking/login",
        "/uss/v2.0/tracking/checkmailex",
        "/uss/v2.0/tracking/checkmailex",
    ]
    assert json.loads(requests[0].content) == {
        "login": "shop1",
        "password": hashlib.sha256(b"tajne").hexdigest().upper(),
        "language": "PL",
    }
    assert b"tajne" not in requests[0].content
    assert [r.headers["api_key"] for r in requests[1:]] == ["TOKEN-42", "TOKEN-42"]


def test_rejected_login_fails_every_number_with_auth_and_tracks_nothing():
    requests: list[httpx.Request] = []

    adapter = poczta(
        lambda request: httpx.Response(401, text="Unauthorized"), requests, api_key="", username="a", password="b"
    )
    outcomes = adapter.fetch(["RR123456785PL"])

    assert outcomes["RR123456785PL"].kind == ErrorKind.AUTH
    assert [r.url.path for r in requests] == ["/uss/v2.0/tracking/login"]


def test_missing_credentials_are_an_auth_error_without_any_request():
    requests: list[httpx.Request] = []

    outcome = poczta(lambda request: fixture("delivered.json"), requests, api_key="").fetch(["X"])["X"]

    assert outcome == TrackingError(ErrorKind.AUTH, "Poczta Polska needs an api_key or a username and password")
    assert requests == []


def test_password_change_required_is_an_auth_error():
    outcome = poczta(lambda request: httpx.Response(405)).fetch(["X"])["X"]

    assert outcome == TrackingError(ErrorKind.AUTH, "Poczta Polska requires a password change", None, 405)


def test_rate_limit_with_past_http_date_means_retry_now():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

    outcome = poczta(lambda request: response).fetch(["X"])["X"]

    assert (outcome.kind, outcome.retry_after) == (ErrorKind.RATE_LIMITED, 0.0)


def test_server_error_timeout_and_malformed_body():
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)

    assert poczta(lambda request: httpx.Response(500)).fetch(["X"])["X"].kind == ErrorKind.TRANSIENT
    assert poczta(timeout).fetch(["X"])["X"].kind == ErrorKind.TRANSIENT
    missing_status = poczta(lambda request: httpx.Response(200, json={"number": "X"})).fetch(["X"])["X"]
    assert missing_status.kind == ErrorKind.CARRIER_ERROR
    assert "KeyError: 'mailStatus'" in missing_status.message
    no_info = poczta(lambda request: httpx.Response(200, json={"number": "X", "mailStatus": 0})).fetch(["X"])["X"]
    assert no_info.kind == ErrorKind.CARRIER_ERROR
