"""Reading an ESP's error: Retry-After in either of its forms, and whether the request provably never arrived."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import requests
from anymail.exceptions import AnymailRequestsAPIError

from notifications.esp_errors import esp_error_text, esp_retry_after, never_reached_esp


def answered(status: int, headers: dict[str, str], text: str = "") -> AnymailRequestsAPIError:
    response = requests.Response()
    response.status_code, response._content = status, text.encode()
    response.headers.update(headers)
    return AnymailRequestsAPIError("ESP error", status_code=status, response=response)


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert esp_retry_after(answered(429, {"Retry-After": "30"})) == 30.0
    assert 100 <= esp_retry_after(answered(503, {"Retry-After": in_two_minutes})) <= 120
    assert esp_retry_after(answered(429, {"Retry-After": "nan"})) is None
    assert esp_retry_after(answered(429, {"Retry-After": "soon"})) is None
    assert esp_retry_after(answered(503, {})) is None


def test_the_esps_text_is_one_bounded_line():
    error = answered(422, {}, text="Invalid 'To' address:\n  not-an-address" + "x" * 600)
    text = esp_error_text(error)
    assert text.startswith("Invalid 'To' address: not-an-address") and "\n" not in text
    assert len(text) == 500


def test_only_a_request_that_cannot_have_arrived_counts_as_never_reached():
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    assert never_reached_esp(requests.ConnectTimeout("connect timed out"))
    assert never_reached_esp(refused)
    assert not never_reached_esp(requests.ReadTimeout("read timed out"))
