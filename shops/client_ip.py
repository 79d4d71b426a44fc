"""The client's address as the platform's trusted proxies report it: one rule for every throttle and the audit log.

With no proxies configured (``TRACKING_PORTAL_PROXY_COUNT`` = 0) X-Forwarded-For is ignored entirely: anyone
reaching the app directly can write it. Behind N proxies only the N-th entry from the right is trusted (entries
further left come from the client); a malformed one falls back to the TCP peer.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: the TCP peer, or the X-Forwarded-For entry the outermost trusted proxy wrote."""
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRACKING_PORTAL_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies and _ip(forwarded[-proxies]) is not None:
            return forwarded[-proxies]
    return peer


def client_rate_key(request: HttpRequest) -> str:
    """Whom a per-client limit counts: an IPv4 address, or an IPv6 /64 (one subscriber gets a whole /64)."""
    text = client_ip(request)
    address = _ip(text)
    if address is None:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_ip_for_throttling(request: HttpRequest) -> str | None:
    """The rate key as an address django-axes can store: an IPv4 address or the first address of the /64."""
    key = client_rate_key(request).split("/")[0]
    return key if _ip(key) is not None else None
