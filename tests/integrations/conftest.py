"""Shop connections and the platforms faked at the HTTP seam (recorded shapes under tests/fixtures/integrations/)."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from integrations.models import ShopConnection
from integrations.simulator.baselinker import FakeBaseLinker

FIXTURES = Path(__file__).parent.parent / "fixtures" / "integrations"
PUBLIC_IP = "93.184.216.34"


def fixture(platform: str, name: str) -> dict:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def raw_fixture(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def fake_baselinker():
    return FakeBaseLinker(token="bl-token-1")


@pytest.fixture
def baselinker_client(fake_baselinker):
    return httpx.Client(transport=fake_baselinker.transport())


@pytest.fixture
def baselinker(shop):
    return ShopConnection.objects.create(shop=shop, platform="baselinker", name="Allegro", api_token="bl-token-1")


@pytest.fixture
def shopify(shop):
    return ShopConnection.objects.create(
        shop=shop,
        platform="shopify",
        name="Shopify CZ",
        store_url="https://keramika.myshopify.com",
        api_token="shpat_test",
        webhook_secret="shopify-app-secret",
    )


@pytest.fixture
def woocommerce(shop):
    return ShopConnection.objects.create(
        shop=shop,
        platform="woocommerce",
        name="Woo DE",
        store_url="https://shop.example.de",
        api_token="ck_test",
        api_secret="cs_test",
        webhook_secret="woo-hook-secret",
    )


def safe_client(handler, *, resolved: str = PUBLIC_IP) -> httpx.Client:
    """The production SSRF-safe transport, resolving to ``resolved``, in front of a fake platform."""
    from config.ssrf import SafeTransport

    transport = SafeTransport(resolver=lambda host, port: [resolved], inner=httpx.MockTransport(handler))
    return httpx.Client(transport=transport, follow_redirects=False)
