"""The InPost Returns API client, faked at the HTTP seam with recorded-shape payloads."""

import json
from pathlib import Path

import httpx
import pytest

from carriers.inpost_returns import (
    InPostReturnsClient,
    InPostReturnsRejected,
    InPostReturnsUnavailable,
    TicketRequest,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "carriers" / "inpost_returns"
REQUEST = TicketRequest(reference="PF-10001/R1", email="anna@example.com", phone="600100200")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def client_for(handler) -> InPostReturnsClient:
    return InPostReturnsClient(
        base_url="https://returns.inpost.test",
        client_id="shop-1",
        client_secret="s3cret",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        timeout=3.0,
    )


def test_a_ticket_brings_the_code_label_tracking_number_and_expiry():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=fixture("token.json"))
        return httpx.Response(201, json=fixture("ticket_created.json"))

    ticket = client_for(handler).ticket_create(REQUEST)

    assert (ticket.ticket_id, ticket.return_code, ticket.tracking_number) == (
        "RT-20261201-000184",
        "4821 9350",
        "520113017830399002575123",
    )
    assert ticket.label_url.endswith("/label.pdf")
    assert ticket.expires_at.isoformat() == "2026-12-15T23:59:59+01:00"
    assert [call.url.path for call in calls] == ["/oauth2/token", "/v1/returns/tickets"]
    assert calls[0].headers["Authorization"].startswith("Basic ")
    assert calls[1].headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.returns-test-token"
    assert json.loads(calls[1].content) == {
        "reference": "PF-10001/R1",
        "sender": {"email": "anna@example.com", "phone": "600100200"},
        "parcel": {"size": "A"},
    }


def test_the_token_is_reused_until_it_expires():
    paths = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=fixture("token.json"))
        return httpx.Response(201, json=fixture("ticket_created.json"))

    client = client_for(handler)
    client.ticket_create(REQUEST)
    client.ticket_create(REQUEST)

    assert paths == ["/oauth2/token", "/v1/returns/tickets", "/v1/returns/tickets"]


def test_a_validation_error_is_a_refusal_with_the_apis_message():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=fixture("token.json"))
        return httpx.Response(422, json=fixture("ticket_invalid.json"))

    with pytest.raises(InPostReturnsRejected, match=r"sender\.phone: must be a Polish mobile number"):
        client_for(handler).ticket_create(REQUEST)


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(503, text="maintenance"),
        lambda request: httpx.Response(429, json={"error": "rate_limited"}),
    ],
)
def test_server_errors_and_rate_limits_are_unavailable(answer):
    with pytest.raises(InPostReturnsUnavailable):
        client_for(answer).ticket_create(REQUEST)


def test_a_timeout_is_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(InPostReturnsUnavailable, match="timed out"):
        client_for(handler).ticket_create(REQUEST)


def test_an_answer_without_a_code_is_a_refusal():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=fixture("token.json"))
        return httpx.Response(201, json={"id": "RT-1", "status": "CREATED"})

    with pytest.raises(InPostReturnsRejected, match="no return_code"):
        client_for(handler).ticket_create(REQUEST)
