"""The one address check against server-side request forgery: may an outgoing request reach this IP?

``address_refusal`` is the rule; ``SafeTransport`` applies it to httpx at connect time (the API's
webhook sender and the shop connectors' calls to shop-provided URLs), and the shops' own ESP
sessions (requests, in notifications) refuse what it names too.

``SafeTransport`` resolves the host once per request, refuses if ANY address is refused, and then
connects to the checked IP itself, keeping the original ``Host`` header and TLS SNI/certificate
name: checking a URL when it is saved is not enough, DNS can answer differently later (rebinding).
Redirects are never followed by the clients that use it.
"""

import ipaddress
import socket
from collections.abc import Callable

import httpx

Resolver = Callable[[str, int], list[str]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services; most are link-local anyway, listed so the intent is explicit.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)

# IPv6 prefixes that embed an IPv4 destination and are delivered to it by a gateway. Refused outright:
# no webhook receiver legitimately lives behind them, and the IPv4 inside could be anything.
TRANSITION_NETWORKS = tuple(
    (ipaddress.ip_network(network), name)
    for network, name in (
        ("2002::/16", "a 6to4 address"),
        ("64:ff9b::/96", "a NAT64 address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("2001::/32", "a Teredo address"),
        ("::ffff:0:0:0/96", "an IPv4-translated (SIIT) address"),
    )
)
# IPv4-compatible ::a.b.c.d (deprecated); ::1 and :: inside it are handled as loopback/unspecified first.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``address`` may not be reached, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is the IPv4 address a.b.c.d on a dual-stack socket: judge that address.
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        for network, name in TRANSITION_NETWORKS:
            if address in network:
                return name
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if isinstance(address, ipaddress.IPv6Address) and address in IPV4_COMPATIBLE:
        return "an IPv4-compatible address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved or non-public address"
    return None


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
        self.resolver = resolver
        self.inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        if request.url.scheme not in ("http", "https"):
            raise BlockedDestination(f"scheme {request.url.scheme!r} is not allowed", request=request)
        try:
            resolve = self.resolver or system_resolver  # looked up per request, so tests can replace it
            addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in resolve(host, port)]
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
