"""InPost ShipX adapter against recorded-shape payloads through httpx.MockTransport."""

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, ErrorKind, PickupPoint, Status, TrackingError, TrackingResult
from tests.carriers.helpers import carrier_fixture

WARSAW = ZoneInfo("Europe/Warsaw")
LOCKER_PARCEL = "602677439331630337653846"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=carrier_fixture("inpost", name), headers={"Content-Type": "application/json", **headers}
    )


def inpost(handler: Handler, requests: list[httpx.Request] | None = None):
    def recording(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    return build_adapter("inpost", config=CarrierConfig(timeout=4.0), client=client)


def test_full_journey_in_transit():
    # given
    requests: list[httpx.Request] = []

    # when
    result = inpost(lambda request: fixture("journey.json"), requests).fetch([LOCKER_PARCEL])[LOCKER_PARCEL]

    # then the request is one GET with the configured timeout and no credentials
    assert [(r.method, str(r.url)) for r in requests] == [
        ("GET", f"https://api-shipx-pl.easypack24.net/v1/tracking/{LOCKER_PARCEL}")
    ]
    assert requests[0].extensions["timeout"]["read"] == 4.0
    assert "authorization" not in requests[0].headers
    # and events come oldest first, with InPost's codes, agencies and offsets
    assert isinstance(result, TrackingResult)
    assert [(e.raw_code, e.status, e.reason, e.location) for e in result.events] == [
        ("confirmed", Status.INFO_RECEIVED, "", ""),
        ("collected_from_sender", Status.IN_TRANSIT, "picked_up", ""),
        ("sent_from_source_branch", Status.IN_TRANSIT, "", "WAW"),
        ("adopted_at_sorting_center", Status.IN_TRANSIT, "", "KRA"),
    ]
    assert result.events[0].occurred_at == datetime(2025, 3, 2, 9, 15, tzinfo=WARSAW)
    assert all(event.text == "" for event in result.events)
    assert result.status == Status.IN_TRANSIT
    assert result.is_final is False
    assert result.service == "inpost_locker_standard"
    assert result.unmapped_codes == ()
    assert result.carrier == "inpost"


def test_delivered_from_a_locker_keeps_the_pickup_point():
    result = inpost(lambda request: fixture("delivered.json")).fetch([LOCKER_PARCEL])[LOCKER_PARCEL]

    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert [e.status for e in result.events][-3:] == [
        Status.OUT_FOR_DELIVERY,
        Status.AVAILABLE_FOR_PICKUP,
        Status.DELIVERED,
    ]
    assert result.pickup_point == PickupPoint(
        id="KRA01M",
        name="KRA01M",
        address="Rynek Główny 1",
        postcode="31-042",
        city="Kraków",
        country="PL",
        opening_hours="24/7",
        latitude=50.06143,
        longitude=19.93658,
        description="Przy stacji paliw",
    )


def test_failed_courier_attempt():
    number = "520000011223344556677889"

    result = inpost(lambda request: fixture("failed_attempt.json")).fetch([number])[number]

    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == "recipient_absent"
    assert result.is_final is False
    assert result.pickup_point is None
    assert result.service == "inpost_courier_standard"


def test_return_to_sender_after_pickup_expired():
    number = "602677439331630337650001"

    result = inpost(lambda request: fixture("returned.json")).fetch([number])[number]

    assert [(e.status, e.reason) for e in result.events] == [
        (Status.INFO_RECEIVED, ""),
        (Status.AVAILABLE_FOR_PICKUP, ""),
        (Status.EXCEPTION, "pickup_expired"),
        (Status.RETURNING_TO_SENDER, ""),
        (Status.RETURNED_TO_SENDER, ""),
    ]
    assert result.status == Status.RETURNED_TO_SENDER
    assert result.is_final is True
    # a machine without details still yields the locker id
    assert result.pickup_point == PickupPoint(id="GDA12M", name="GDA12M", country="PL")


def test_unmapped_code_is_listed_and_family_status_applies_without_guessing(caplog):
    number = "520000011223344556670000"

    with caplog.at_level(logging.WARNING, logger="carriers"):
        result = inpost(lambda request: fixture("unmapped.json")).fetch([number])[number]

    assert [(e.raw_code, e.status, e.mapped) for e in result.events] == [
        ("out_for_delivery_to_address", Status.OUT_FOR_DELIVERY, True),
        ("other", None, True),
        ("undelivered_no_mailbox", Status.FAILED_ATTEMPT, False),
        ("teleported_to_moon", None, False),
    ]
    # the newest event says nothing we understand, so the family status of the one before stands
    assert result.status == Status.FAILED_ATTEMPT
    assert result.reason == "address_problem"
    assert result.unmapped_codes == ("undelivered_no_mailbox", "teleported_to_moon")
    assert sorted(record.raw_code for record in caplog.records) == ["teleported_to_moon", "undelivered_no_mailbox"]


@pytest.mark.parametrize("status", [404, 400])
def test_unknown_number_is_not_found(status):
    outcome = inpost(lambda request: fixture("not_found.json", status)).fetch(["000"])["000"]

    assert isinstance(outcome, TrackingError)
    assert outcome.kind == ErrorKind.NOT_FOUND
    assert outcome.http_status == status
    assert outcome.retryable is False
    assert "resource_not_found" in outcome.message


def test_rejected_credentials_are_an_auth_error():
    outcome = inpost(lambda request: fixture("unauthorized.json", 401)).fetch([LOCKER_PARCEL])[LOCKER_PARCEL]

    assert (outcome.kind, outcome.http_status, outcome.retryable) == (ErrorKind.AUTH, 401, False)


def test_rate_limit_keeps_retry_after():
    response = fixture("rate_limited.json", 429, **{"Retry-After": "120"})

    outcome = inpost(lambda request: response).fetch([LOCKER_PARCEL])[LOCKER_PARCEL]

    assert (outcome.kind, outcome.retry_after, outcome.http_status) == (ErrorKind.RATE_LIMITED, 120.0, 429)
    assert outcome.retryable is True


def test_server_error_and_timeout_are_transient():
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    server_error = inpost(lambda request: httpx.Response(503, text="Service Unavailable")).fetch(["1"])["1"]
    timed_out = inpost(timeout).fetch(["1"])["1"]

    assert (server_error.kind, server_error.http_status) == (ErrorKind.TRANSIENT, 503)
    assert (timed_out.kind, timed_out.http_status) == (ErrorKind.TRANSIENT, None)
    assert server_error.retryable and timed_out.retryable


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b'{"tracking_number": "1"}', "KeyError: 'tracking_details'"),
        (b'{"tracking_details": "none"}', "tracking_details is not a list"),
        (b"[]", "body is list"),
        (b'{"tracking_details": [{"status": "delivered", "datetime": "soon"}]}', "unreadable time 'soon'"),
    ],
)
def test_malformed_body_is_a_carrier_error(body, fragment):
    outcome = inpost(lambda request: httpx.Response(200, content=body)).fetch(["1"])["1"]

    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert fragment in outcome.message
    assert outcome.retryable is False


def test_one_bad_number_does_not_fail_the_others():
    # given three numbers: one delivered, one whose request fails, one with a garbled body
    def handler(request: httpx.Request) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        if number == "BROKEN":
            return httpx.Response(502)
        if number == "GARBLED":
            return httpx.Response(200, content=b"{")
        return fixture("delivered.json")

    # when fetched together
    outcomes = inpost(handler).fetch([LOCKER_PARCEL, "BROKEN", "GARBLED"])

    # then each has its own outcome
    assert outcomes[LOCKER_PARCEL].status == Status.DELIVERED
    assert outcomes["BROKEN"].kind == ErrorKind.TRANSIENT
    assert outcomes["GARBLED"].kind == ErrorKind.CARRIER_ERROR


def test_public_tracking_page_for_customers():
    assert build_adapter("inpost", config=CarrierConfig(), client=httpx.Client()).tracking_url(LOCKER_PARCEL) == (
        f"https://inpost.pl/sledzenie-przesylek?number={LOCKER_PARCEL}"
    )
