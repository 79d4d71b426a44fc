"""Building a connection's connector: its credentials, HTTP client (SSRF-safe for shop URLs) and rate limit."""

from __future__ import annotations

import httpx
from django.conf import settings

from config.ssrf import SafeTransport
from integrations.base import Connector
from integrations.models import Platform, ShopConnection
from integrations.registry import connector_class
from integrations.types import Credentials
from shipments.carrier_runtime import http_client, rate_limiter


def credentials_of(connection: ShopConnection) -> Credentials:
    return Credentials(
        store_url=connection.store_url,
        api_token=connection.api_token,
        api_secret=connection.api_secret,
        webhook_secret=connection.webhook_secret,
        delivered_status_id=connection.delivered_status_id,
        key=connection.public_id,
    )


def shop_client() -> httpx.Client:
    """A client for URLs a shop typed (its Shopify store, its WooCommerce site): SSRF-safe, no redirects."""
    return httpx.Client(
        transport=SafeTransport(allow_loopback=settings.INTEGRATIONS_ALLOW_LOOPBACK),
        timeout=httpx.Timeout(settings.INTEGRATIONS_HTTP_TIMEOUT, connect=5.0),
        follow_redirects=False,
        headers={"User-Agent": "Parcelfront/0.1 (+shop connector)"},
    )


# BaseLinker counts requests per minute: a short burst is fine as long as the minute's total holds.
BURST_REQUESTS = 20


def _throttle(key: str, rate: float) -> bool:
    return rate_limiter().acquire(key, rate=rate, burst=BURST_REQUESTS, max_wait=60.0)


def connector_for(connection: ShopConnection, *, client: httpx.Client | None = None) -> Connector:
    """The connector of ``connection``; ``client`` replaces the HTTP client (tests, the demo)."""
    cls = connector_class(connection.platform)
    kwargs = {"credentials": credentials_of(connection), "timeout": settings.INTEGRATIONS_HTTP_TIMEOUT}
    if connection.platform == Platform.BASELINKER:
        # BaseLinker's URL is the deployment's, never the shop's: the pooled client is fine.
        return cls(client=client or http_client(), api_url=settings.BASELINKER_API_URL, throttle=_throttle, **kwargs)  # type: ignore[call-arg]
    return cls(client=client or shop_client(), **kwargs)
