"""``poll_shipments --once`` against recorded carrier payloads served from a loopback server.

The way the polling engine is checked: real-shaped answers behind ``CARRIER_<CODE>_BASE_URL``;
the stored statuses, events, texts, ETAs and status changes must be what the adapter reads from
them, and a bad answer must leave nothing but a recorded error.
"""

import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, TrackingResult
from shipments.models import CarrierAccount, Shipment
from tests.factories import OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"

# number -> (carrier, fixture, HTTP status, extra headers)
ANSWERS = {
    "7777777770": ("dhl", "journey.json", 200, {}),
    "00340434292135100124": ("dhl", "delivered.json", 200, {}),
    "1234567890": ("dhl", "not_found.json", 404, {}),
    "3333333330": ("dhl", "rate_limited.json", 429, {"Retry-After": "1800"}),
    "602677439331630337653846": ("inpost", "journey.json", 200, {}),
    "620000000000000000000666": ("inpost", "malformed", 200, {}),
}


class RecordedCarrier(BaseHTTPRequestHandler):
    """Serves the recorded payload for the number in the path (InPost) or query (DHL)."""

    def do_GET(self) -> None:
        url = urlparse(self.path)
        number = parse_qs(url.query).get("trackingNumber", [url.path.rsplit("/", 1)[-1]])[0]
        carrier, fixture, status, headers = ANSWERS.get(number, ("", "", 404, {}))
        body = b"<html>this is not JSON" if fixture == "malformed" else b"{}"
        if fixture and fixture != "malformed":
            body = (FIXTURES / carrier / fixture).read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def carrier_server(settings, published):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedCarrier)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.CARRIER_ENV = {
        "CARRIER_DHL_BASE_URL": base,
        "CARRIER_DHL_API_KEY": "test-key",
        "CARRIER_DHL_RATE": "none",
        "CARRIER_INPOST_BASE_URL": base,
        "CARRIER_INPOST_RATE": "none",
    }
    yield base
    server.shutdown()
    server.server_close()


def expected(carrier: str, number: str) -> TrackingResult:
    """What the adapter itself reads from the recorded payload (the reference for the stored rows)."""
    carrier_name, fixture, status, _ = ANSWERS[number]
    body = (FIXTURES / carrier_name / fixture).read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    with httpx.Client(transport=transport) as client:
        adapter = build_adapter(carrier, config=CarrierConfig(api_key="k", base_url="http://x"), client=client)
        outcome = adapter.fetch([number])[number]
    assert isinstance(outcome, TrackingResult)
    return outcome


def test_recorded_payloads_become_statuses_events_etas_and_changes(shop, carrier_server):
    # given shipments of two carriers whose answers were recorded
    order = OrderFactory(shop=shop)
    shipments = {
        number: ShipmentFactory(order=order, carrier=carrier, tracking_number=number, next_poll_at=timezone.now())
        for number, (carrier, _, _, _) in ANSWERS.items()
    }

    # when polled once
    out = StringIO()
    call_command("poll_shipments", "--once", stdout=out)

    # then the command says what happened per carrier
    assert out.getvalue().splitlines() == [
        "claimed 6 shipment(s) in 2 batch(es)",
        "dhl: fetched 4, changed 2, new events 9, errors 2 (not_found: 1, rate_limited: 1)",
        "inpost: fetched 2, changed 1, new events 4, errors 1 (carrier_error: 1)",
    ]
    # and good answers are stored as the adapter reads them: status, events verbatim, ETA, one change
    for number in ("7777777770", "00340434292135100124", "602677439331630337653846"):
        shipment = Shipment.objects.get(pk=shipments[number].pk)
        reference = expected(shipment.carrier, number)
        assert shipment.status == reference.status
        assert (shipment.eta_from, shipment.eta_to) == (reference.eta_from, reference.eta_to)
        assert list(shipment.events.values_list("occurred_at", "raw_code", "text", "location")) == [
            (event.occurred_at, event.raw_code, event.text, event.location) for event in reference.events
        ]
        assert list(shipment.status_changes.values_list("from_status", "to_status")) == [("pending", reference.status)]
    journey = Shipment.objects.get(tracking_number="7777777770")
    assert journey.eta_from == datetime.fromisoformat("2025-03-05T09:00:00+01:00")
    assert journey.events.last().text == "Shipment is out with courier for delivery"
    delivered = Shipment.objects.get(tracking_number="00340434292135100124")
    assert (delivered.status, delivered.next_poll_at) == ("delivered", None)
    # and bad answers leave nothing but a recorded error
    for number, kind in (
        ("1234567890", "not_found"),
        ("3333333330", "rate_limited"),
        ("620000000000000000000666", "carrier_error"),
    ):
        shipment = Shipment.objects.get(pk=shipments[number].pk)
        assert (shipment.status, shipment.last_error_kind, shipment.events.count()) == ("pending", kind, 0)
        assert shipment.status_changes.count() == 0
        assert shipment.next_poll_at is not None
    throttled = Shipment.objects.get(tracking_number="3333333330")
    assert (throttled.next_poll_at - throttled.last_polled_at).total_seconds() >= 1800
    health = CarrierAccount.objects.get(shop=shop, carrier="dhl")
    assert (health.success_count, health.error_count, health.last_error_kind) == (2, 2, "rate_limited")


def test_a_401_pauses_the_carrier_for_the_shop(shop, carrier_server, monkeypatch):
    # given a DHL parcel whose answer is 401
    monkeypatch.setitem(ANSWERS, "4444444440", ("dhl", "unauthorized.json", 401, {}))
    shipment = ShipmentFactory(
        order=OrderFactory(shop=shop), carrier="dhl", tracking_number="4444444440", next_poll_at=timezone.now()
    )

    # when polled
    call_command("poll_shipments", "--once", stdout=StringIO())

    # then the error is recorded and the shop's DHL account is paused with it
    shipment.refresh_from_db()
    account = CarrierAccount.objects.get(shop=shop, carrier="dhl")
    assert (shipment.last_error_kind, shipment.events.count()) == ("auth", 0)
    assert account.paused_until is not None
    assert shipment.next_poll_at >= account.paused_until
    assert "401" in account.last_auth_error
