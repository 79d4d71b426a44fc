"""The client's address as the platform's trusted proxies report it: one rule for throttles and the audit log."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP; behind ``TRACKING_PORTAL_PROXY_COUNT`` trusted proxies, read from X-Forwarded-For.

    Only the entry the nearest trusted proxy appended is believed: anything to its left is client-supplied.
    """
    proxies = settings.TRACKING_PORTAL_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_ip_for_throttling(request: HttpRequest) -> str | None:
    """The client's address as a throttle counts it: IPv6 per /64, since one subscriber usually holds a whole /64."""
    address = client_ip(request)
    if address is None or ipaddress.ip_address(address).version == 4:
        return address
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
