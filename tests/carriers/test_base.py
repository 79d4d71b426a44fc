"""The adapter base class: chunking, timeouts, error typing, status mapping, times, results.

A minimal adapter defined here (and deliberately not registered) stands in for a carrier.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest

from carriers.base import CarrierAdapter, Outcome, parse_retry_after
from carriers.types import (
    CarrierConfig,
    CarrierFailure,
    ErrorKind,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
)

WARSAW = ZoneInfo("Europe/Warsaw")
Handler = Callable[[httpx.Request], httpx.Response]


class AcmeAdapter(CarrierAdapter):
    """Batch API: GET /track?n=A,B answers {"parcels": [{"number", "events": [{"t", "c", "x"}]}]}."""

    code = "acme"
    name = "ACME"
    batch_size = 2
    timezone = "Europe/Warsaw"
    default_base_url = "https://api.acme.example"
    tracking_url_template = "https://acme.example/track?n={number}"
    status_map = {
        "PU": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "DL": (Status.DELIVERED, ""),
        "NOTE": (None, ""),
    }
    family_map = {"EX": (Status.EXCEPTION, ""), "EXL": (Status.EXCEPTION, Reason.LOST)}

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        return self.make_request("GET", "/track", params={"n": ",".join(numbers)})

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        body = self.json_body(response)
        return {
            parcel["number"]: self.parse_guarded(parcel["number"], lambda parcel=parcel: self._result(parcel))
            for parcel in body["parcels"]
        }

    def _result(self, parcel: Mapping) -> TrackingResult:
        events = [self.event(self.parse_time(e["t"]), e["c"], e["x"]) for e in parcel["events"]]
        return self.result(parcel["number"], events)


def acme(handler: Handler, *, timeout: float = 10.0, base_url: str = "") -> AcmeAdapter:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return AcmeAdapter(config=CarrierConfig(base_url=base_url, timeout=timeout), client=client)


def parcels(*parcel_list: dict) -> httpx.Response:
    return httpx.Response(200, json={"parcels": list(parcel_list)})


def delivered(number: str) -> dict:
    return {
        "number": number,
        "events": [
            {"t": "2025-03-01T10:00:00", "c": "PU", "x": "Picked up"},
            {"t": "2025-03-02T12:30:00", "c": "DL", "x": "Delivered"},
        ],
    }


def test_fetch_chunks_numbers_to_batch_size_and_keeps_input_order():
    # given a carrier taking two numbers per call
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["n"])
        return parcels(*(delivered(n) for n in request.url.params["n"].split(",")))

    # when five numbers are fetched
    outcomes = acme(handler).fetch(["A", "B", "C", "D", "E"])

    # then three calls were made and every number has a result, in input order
    assert seen == ["A,B", "C,D", "E"]
    assert list(outcomes) == ["A", "B", "C", "D", "E"]
    assert all(isinstance(outcome, TrackingResult) for outcome in outcomes.values())


def test_fetch_collapses_duplicate_numbers_and_empty_input_makes_no_call():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["n"])
        return parcels(delivered("A"))

    adapter = acme(handler)

    assert adapter.fetch([]) == {}
    assert calls == []
    assert list(adapter.fetch(["A", "A"])) == ["A"]
    assert calls == ["A"]


def test_every_request_carries_the_configured_timeout_and_the_base_url():
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return parcels(delivered("A"))

    acme(handler, timeout=3.5, base_url="http://127.0.0.1:9/acme/").fetch(["A"])

    assert str(captured[0].url) == "http://127.0.0.1:9/acme/track?n=A"
    assert captured[0].extensions["timeout"] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}


def test_a_hand_built_request_still_gets_the_configured_timeout():
    # given an adapter that builds httpx.Request itself, bypassing make_request
    class HandBuilt(AcmeAdapter):
        def build_request(self, numbers: Sequence[str]) -> httpx.Request:
            return httpx.Request("GET", f"{self.base_url}/track", params={"n": numbers[0]})

    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return parcels(delivered("A"))

    client = httpx.Client(transport=httpx.MockTransport(handler), timeout=None)
    HandBuilt(config=CarrierConfig(timeout=2.0), client=client).fetch(["A"])

    assert captured[0].extensions["timeout"] == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}


def test_result_takes_status_from_the_newest_event_that_has_one():
    # given events out of order, the newest being an informational code
    def handler(request: httpx.Request) -> httpx.Response:
        return parcels(
            {
                "number": "A",
                "events": [
                    {"t": "2025-03-02T12:30:00", "c": "NOTE", "x": "Note from driver"},
                    {"t": "2025-03-01T10:00:00", "c": "PU", "x": "Picked up"},
                ],
            }
        )

    # when fetched
    result = acme(handler).fetch(["A"])["A"]

    # then events are oldest first and the note does not erase the status
    assert [event.raw_code for event in result.events] == ["PU", "NOTE"]
    assert result.status == Status.IN_TRANSIT
    assert result.reason == "picked_up"
    assert result.is_final is False
    assert result.unmapped_codes == ()
    assert result.latest_event == result.events[-1]


def test_delivered_result_is_final_and_events_are_aware_in_carrier_zone():
    result = acme(lambda request: parcels(delivered("A"))).fetch(["A"])["A"]

    assert result.status == Status.DELIVERED
    assert result.is_final is True
    assert result.events[0] == TrackingEvent(
        occurred_at=datetime(2025, 3, 1, 10, 0, tzinfo=WARSAW),
        status=Status.IN_TRANSIT,
        reason="picked_up",
        raw_code="PU",
        text="Picked up",
        location="",
        mapped=True,
    )
    assert result.events[0].occurred_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (401, ErrorKind.AUTH, False),
        (403, ErrorKind.AUTH, False),
        (404, ErrorKind.NOT_FOUND, False),
        (408, ErrorKind.TRANSIENT, True),
        (500, ErrorKind.TRANSIENT, True),
        (502, ErrorKind.TRANSIENT, True),
        (503, ErrorKind.TRANSIENT, True),
        (418, ErrorKind.CARRIER_ERROR, False),
    ],
)
def test_http_error_statuses_become_typed_errors_for_every_number_of_the_chunk(status, kind, retryable):
    outcomes = acme(lambda request: httpx.Response(status, text="nope")).fetch(["A", "B"])

    assert set(outcomes) == {"A", "B"}
    for outcome in outcomes.values():
        assert isinstance(outcome, TrackingError)
        assert outcome.kind == kind
        assert outcome.http_status == status
        assert outcome.retryable is retryable
        assert outcome.message.endswith(f"HTTP {status} from ACME: nope")


def test_429_keeps_retry_after_in_seconds():
    outcome = acme(lambda request: httpx.Response(429, headers={"Retry-After": "17"})).fetch(["A"])["A"]

    assert outcome == TrackingError(ErrorKind.RATE_LIMITED, "rate limited: HTTP 429 from ACME", 17.0, 429)
    assert outcome.retryable is True


def test_429_with_an_http_date_becomes_seconds_from_now():
    when = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    outcome = acme(lambda request: httpx.Response(429, headers={"Retry-After": when})).fetch(["A"])["A"]

    assert outcome.kind == ErrorKind.RATE_LIMITED
    assert 100 < outcome.retry_after <= 120


def test_parse_retry_after_handles_seconds_dates_past_and_garbage():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    assert parse_retry_after("5", now=now) == 5.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-3", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("nan", now=now) is None
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("  ", now=now) is None


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
def test_network_failures_are_transient_for_every_number(exception):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exception

    outcomes = acme(handler).fetch(["A", "B", "C"])

    assert {number: outcome.kind for number, outcome in outcomes.items()} == dict.fromkeys("ABC", ErrorKind.TRANSIENT)
    assert all(outcome.retryable for outcome in outcomes.values())


@pytest.mark.parametrize("exception", [httpx.DecodingError("bad gzip"), httpx.TooManyRedirects("loop")])
def test_unusable_answers_are_carrier_errors_not_retries(exception):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exception

    outcome = acme(handler).fetch(["A"])["A"]

    assert outcome == TrackingError(
        ErrorKind.CARRIER_ERROR, f"ACME answer unusable: {type(exception).__name__}: {exception}"
    )


def test_an_unusable_base_url_is_a_carrier_error_not_a_retry():
    client = httpx.Client()
    adapter = AcmeAdapter(config=CarrierConfig(base_url="ftp://example.invalid"), client=client)

    outcome = adapter.fetch(["A"])["A"]

    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert outcome.retryable is False
    assert "base URL is unusable" in outcome.message


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
        (httpx.Response(200, json={"unexpected": []}), "KeyError: 'parcels'"),
        (httpx.Response(200, json={"parcels": "A"}), "TypeError"),
    ],
)
def test_malformed_bodies_become_carrier_errors_with_a_clear_message(response, fragment):
    outcome = acme(lambda request: response).fetch(["A"])["A"]

    assert outcome.kind == ErrorKind.CARRIER_ERROR
    assert outcome.message.startswith("malformed ACME response: ")
    assert fragment in outcome.message


def test_one_malformed_entry_in_a_batch_fails_only_that_number_and_missing_ones_are_not_found():
    # given a batch answer with a good parcel, a parcel with an unreadable time, and one missing
    def handler(request: httpx.Request) -> httpx.Response:
        return parcels(delivered("A"), {"number": "B", "events": [{"t": "yesterday", "c": "PU", "x": "?"}]})

    # when both are fetched, plus C which the carrier leaves out
    outcomes = acme(handler).fetch(["A", "B"])
    missing = acme(lambda request: parcels(delivered("A"))).fetch(["A", "C"])

    # then
    assert outcomes["A"].status == Status.DELIVERED
    assert outcomes["B"] == TrackingError(
        ErrorKind.CARRIER_ERROR, "malformed ACME response: ACME sent an unreadable time 'yesterday'"
    )
    assert missing["C"] == TrackingError(ErrorKind.NOT_FOUND, "ACME did not report this number")
    assert missing["A"].status == Status.DELIVERED


def test_a_bug_in_an_adapter_is_contained_and_logged(caplog):
    class Buggy(AcmeAdapter):
        def parse_response(self, numbers, response):
            raise RuntimeError("boom")

    client = httpx.Client(transport=httpx.MockTransport(lambda request: parcels()))
    adapter = Buggy(config=CarrierConfig(), client=client)

    with caplog.at_level(logging.ERROR, logger="carriers"):
        outcome = adapter.fetch(["A"])["A"]

    assert outcome == TrackingError(ErrorKind.CARRIER_ERROR, "ACME adapter error: RuntimeError: boom")
    assert [record.message for record in caplog.records] == ["carrier acme adapter failed on 1 number(s)"]


def test_carrier_failure_raised_in_a_hook_fails_the_chunk_with_its_error():
    class Locked(AcmeAdapter):
        def fetch_chunk(self, numbers):
            raise CarrierFailure(TrackingError(ErrorKind.AUTH, "account locked"))

    client = httpx.Client(transport=httpx.MockTransport(lambda request: parcels()))
    outcomes = Locked(config=CarrierConfig(), client=client).fetch(["A", "B"])

    assert outcomes == dict.fromkeys(["A", "B"], TrackingError(ErrorKind.AUTH, "account locked"))


def test_map_status_exact_family_and_unknown(caplog):
    adapter = acme(lambda request: parcels())

    with caplog.at_level(logging.WARNING, logger="carriers"):
        exact = adapter.map_status("DL")
        informational = adapter.map_status("NOTE")
        longest_family = adapter.map_status("EXL42")
        family = adapter.map_status("EX9")
        unknown = adapter.map_status("ZZ")

    assert exact == (Status.DELIVERED, "", True)
    assert informational == (None, "", True)
    assert longest_family == (Status.EXCEPTION, "lost", False)
    assert family == (Status.EXCEPTION, "", False)
    assert unknown == (None, "", False)
    # only codes missing from status_map are logged, with the carrier and code attached
    assert [(record.carrier, record.raw_code) for record in caplog.records] == [
        ("acme", "EXL42"),
        ("acme", "EX9"),
        ("acme", "ZZ"),
    ]


def test_unmapped_codes_are_listed_once_and_never_guessed():
    def handler(request: httpx.Request) -> httpx.Response:
        return parcels(
            {
                "number": "A",
                "events": [
                    {"t": "2025-03-01T10:00:00", "c": "PU", "x": "Picked up"},
                    {"t": "2025-03-01T11:00:00", "c": "ZZ", "x": "New thing"},
                    {"t": "2025-03-01T12:00:00", "c": "ZZ", "x": "New thing again"},
                ],
            }
        )

    result = acme(handler).fetch(["A"])["A"]

    assert [event.status for event in result.events] == [Status.IN_TRANSIT, None, None]
    assert [event.mapped for event in result.events] == [True, False, False]
    assert result.status == Status.IN_TRANSIT
    assert result.unmapped_codes == ("ZZ",)


def test_parse_time_reads_naive_times_in_the_carrier_zone_and_keeps_offsets():
    adapter = acme(lambda request: parcels())

    assert adapter.parse_time("2025-07-01T12:00:00") == datetime(2025, 7, 1, 12, 0, tzinfo=WARSAW)
    assert adapter.parse_time("2025-07-01 12:00").utcoffset() == timedelta(hours=2)
    assert adapter.parse_time("2025-07-01T12:00:00Z") == datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert adapter.parse_time("2025-07-01T12:00:00.9237746+05:00").utcoffset() == timedelta(hours=5)
    assert adapter.parse_time(datetime(2025, 1, 1, 8, 0)) == datetime(2025, 1, 1, 8, 0, tzinfo=WARSAW)
    aware = datetime(2025, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert adapter.parse_time(aware) is aware


@pytest.mark.parametrize("value", ["", "31/12/2025", None, 1700000000])
def test_parse_time_rejects_unreadable_values(value):
    adapter = acme(lambda request: parcels())

    with pytest.raises(ValueError, match="ACME sent"):
        adapter.parse_time(value)


def test_tracking_url_quotes_the_number_and_is_empty_without_a_template():
    class NoPage(AcmeAdapter):
        tracking_url_template = ""

    assert AcmeAdapter.tracking_url("A B/1") == "https://acme.example/track?n=A%20B%2F1"
    assert NoPage.tracking_url("A") == ""
