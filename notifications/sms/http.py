"""The HTTP seam of the SMS gateways: httpx clients with explicit timeouts, sealed to the official host for shops.

The platform's gateway account comes from settings (tests and staging point its base URL at a local
fake). A shop's own account may only reach its provider's official host over HTTPS, and only when
every address that host resolves to is public (``config.ssrf``): no shop credential can aim the
platform at an internal service. Redirects are never followed; proxies from the environment are ignored.
"""

from __future__ import annotations

import ipaddress

import httpx
from django.conf import settings

from config import ssrf


class SmsDestinationRefused(httpx.ConnectError):
    """A shop gateway's request would have left the provider's official public host."""


class OfficialHostTransport(httpx.BaseTransport):
    """Sends only HTTPS to one host, and only when every address it resolves to is public."""

    def __init__(
        self, *, host: str, resolver: ssrf.Resolver | None = None, inner: httpx.BaseTransport | None = None
    ) -> None:
        self.host = host
        self.resolver = resolver or ssrf.system_resolver
        self.inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" or url.host != self.host or url.port not in (None, 443):
            raise SmsDestinationRefused(f"only https://{self.host}/ may be reached", request=request)
        try:
            addresses = [ipaddress.ip_address(item.split("%", 1)[0]) for item in self.resolver(self.host, 443)]
        except (OSError, ValueError) as error:
            raise httpx.ConnectError(f"cannot resolve {self.host}", request=request) from error
        if not addresses:
            raise httpx.ConnectError(f"{self.host} has no address", request=request)
        for address in addresses:
            refusal = ssrf.address_refusal(address)
            if refusal is not None:
                raise SmsDestinationRefused(f"{self.host} resolves to {refusal}", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def sms_timeout() -> httpx.Timeout:
    connect, read = settings.SMS_HTTP_TIMEOUT
    return httpx.Timeout(read, connect=connect)


def platform_client(*, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client of the platform's own gateway account (its base URL comes from settings)."""
    return httpx.Client(transport=transport, timeout=sms_timeout(), follow_redirects=False, trust_env=False)


def shop_client(*, host: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client that reaches only ``host`` (a shop's provider), over HTTPS, at public addresses."""
    return httpx.Client(
        transport=transport or OfficialHostTransport(host=host),
        timeout=sms_timeout(),
        follow_redirects=False,
        trust_env=False,
    )
