"""The one address check against server-side request forgery: may an outgoing request reach this IP?

Pure (no HTTP client): the API's webhook transport (httpx) and the shops' own ESP sessions
(requests, in notifications) both refuse what ``address_refusal`` names.
"""

import ipaddress
import socket
from collections.abc import Callable

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
