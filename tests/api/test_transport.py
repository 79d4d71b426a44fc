"""SSRF protection: webhook requests never reach internal addresses, checked when connecting."""

import httpx
import pytest
from django.core.exceptions import ValidationError

from api.models import DeliveryStatus, WebhookDelivery
from api.services import webhook_delivery_attempt, webhook_endpoint_create, webhook_test_send
from api.transport import BlockedDestination, SafeTransport


class RecordingTransport(httpx.BaseTransport):
    """Stands in for the network: records where the request would have gone."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)


def _client(resolved: list[str], *, allow_loopback: bool = False) -> tuple[httpx.Client, RecordingTransport]:
    inner = RecordingTransport()
    transport = SafeTransport(allow_loopback=allow_loopback, resolver=lambda host, port: resolved, inner=inner)
    return httpx.Client(transport=transport, timeout=5, follow_redirects=False), inner


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("http://127.0.0.1/hook", ["127.0.0.1"]),
        ("http://10.1.2.3/hook", ["10.1.2.3"]),
        ("http://192.168.0.10/hook", ["192.168.0.10"]),
        ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254"]),
        ("http://[::1]/hook", ["::1"]),
        ("http://[fd00:ec2::254]/hook", ["fd00:ec2::254"]),
        ("http://[::ffff:127.0.0.1]/hook", ["::ffff:127.0.0.1"]),
        ("http://100.64.1.1/hook", ["100.64.1.1"]),
        ("http://224.0.0.1/hook", ["224.0.0.1"]),
        ("http://0.0.0.0/hook", ["0.0.0.0"]),
        ("https://hooks.example.com/hook", ["10.0.0.7"]),
        ("https://rebind.example.com/hook", ["93.184.215.14", "192.168.1.1"]),
    ],
)
def test_internal_destinations_are_refused_at_connect_time(url, resolved):
    # given
    client, network = _client(resolved)
    # when / then
    with pytest.raises(BlockedDestination):
        client.post(url, content=b"{}")
    assert network.requests == []


def test_public_host_is_reached_at_the_checked_address_with_original_host_and_sni():
    # given
    client, network = _client(["93.184.215.14"])
    # when
    response = client.post("https://hooks.example.com/in?x=1", content=b"{}")
    # then
    assert response.status_code == 204
    sent = network.requests[0]
    assert sent.url.host == "93.184.215.14"
    assert sent.url.path == "/in"
    assert sent.headers["host"] == "hooks.example.com"
    assert sent.extensions["sni_hostname"] == "hooks.example.com"


def test_loopback_allowed_only_by_setting_and_private_still_refused():
    # given
    loopback, loopback_network = _client(["127.0.0.1"], allow_loopback=True)
    private, _ = _client(["10.0.0.1"], allow_loopback=True)
    # when
    loopback.post("http://localhost:8000/hook", content=b"{}")
    # then
    assert loopback_network.requests[0].url.host == "127.0.0.1"
    with pytest.raises(BlockedDestination):
        private.post("http://10.0.0.1/hook", content=b"{}")


def test_redirects_are_not_followed():
    # given
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/"})

    transport = SafeTransport(resolver=lambda host, port: ["93.184.215.14"], inner=httpx.MockTransport(redirect))
    client = httpx.Client(transport=transport, follow_redirects=False)
    # when
    response = client.post("https://hooks.example.com/", content=b"{}")
    # then
    assert response.status_code == 302
    assert response.next_request is not None  # offered, never taken


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://metadata.google.internal/",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
    ],
)
def test_endpoint_with_internal_url_is_refused_on_creation(shop, url):
    with pytest.raises(ValidationError):
        webhook_endpoint_create(shop=shop, url=url, event_types=["shipment.delivered"])


def test_delivery_to_host_resolving_privately_fails_without_retry(shop, monkeypatch):
    # given a public-looking name that resolves to a private address when sending
    monkeypatch.setattr("config.ssrf.system_resolver", lambda host, port: ["10.20.30.40"])
    endpoint = webhook_endpoint_create(
        shop=shop, url="https://hooks.example.com/in", event_types=["shipment.delivered"]
    )
    event = webhook_test_send(endpoint=endpoint)
    delivery = WebhookDelivery.objects.get(event=event)
    # when
    result = webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=delivery.claim_token)
    # then
    delivery.refresh_from_db()
    assert result.error.startswith("refused:")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_log.get().status_code is None
