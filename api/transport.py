"""An httpx transport that refuses to connect to internal addresses (SSRF), checked at connect time.

Checking a URL when it is saved is not enough: DNS can answer differently later (rebinding). This
transport resolves the host once per request, refuses if ANY address is loopback, private,
link-local, multicast, reserved, unspecified, shared (CGNAT), a cloud metadata address or an IPv6
transition address that carries an IPv4 one (6to4, NAT64, Teredo: a gateway would deliver it to any IPv4
host, internal ones included; listed here rather than trusted to the interpreter's tables), and then
connects to the checked IP itself, keeping the original ``Host`` header and TLS SNI/certificate
name. Redirects are never followed by the client that uses it.
"""

import ipaddress

import httpx

# The address check itself lives in config.ssrf (notifications' ESP sessions use it too).
from config.ssrf import Resolver, address_refusal, system_resolver

__all__ = ["BlockedDestination", "Resolver", "SafeTransport", "address_refusal", "system_resolver"]


class BlockedDestination(httpx.ConnectError):
    """The destination resolves to an address webhooks may not reach."""


class SafeTransport(httpx.BaseTransport):
    """Resolve, check every address, connect to the checked one; see the module docstring."""

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        resolver: Resolver | None = None,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.resolver = resolver or system_resolver
        self.inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        if request.url.scheme not in ("http", "https"):
            raise BlockedDestination(f"scheme {request.url.scheme!r} is not allowed", request=request)
        try:
            addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in self.resolver(host, port)]
        except (OSError, ValueError) as error:
            raise httpx.ConnectError(f"cannot resolve {host!r}: {error}", request=request) from error
        if not addresses:
            raise httpx.ConnectError(f"{host!r} has no address", request=request)
        for address in addresses:
            refusal = address_refusal(address, allow_loopback=self.allow_loopback)
            if refusal is not None:
                raise BlockedDestination(f"{host!r} resolves to {address}, {refusal}", request=request)
        checked = str(addresses[0])
        if checked != host:
            # Connect to the address we checked, never to a second resolution of the name.
            request.url = request.url.copy_with(host=checked)
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
