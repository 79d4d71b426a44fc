"""Guarding public order lookups (tracking and returns): rate limits and a secret check with no enumeration.

Moved down from tracking_portal so the returns portal, below it in the layering, uses the same rules.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import cache


class LookedUpOrder(Protocol):
    """What the secret check reads of an order (shops sits below shipments, so no import of Order)."""

    customer_email: str
    shipping_postcode: str


@dataclass(frozen=True)
class LookupQuota:
    """Whether one more lookup is allowed, and if not, how long to wait."""

    allowed: bool
    retry_after: int = 0


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt under ``key`` in the shared cache; True while within ``limit`` per ``window`` seconds."""
    cache.add(key, 0, timeout=window)
    try:
        attempts = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this attempt opens a new window.
        cache.set(key, 1, timeout=window)
        attempts = 1
    return attempts <= limit


def attempt_allowed(*, key: str, limit: int, window: int) -> bool:
    """Count one attempt of any public form under ``key``; True while within ``limit`` per ``window`` seconds."""
    return _hit(key, limit, window)


def lookup_quota_take(*, client_ip: str, shop_id: int, reference: str) -> LookupQuota:
    """Count a lookup attempt per client and per (shop, order or tracking number); refuse over the limits.

    Counted whether or not the order exists, so the limit itself reveals nothing.
    """
    reference_digest = hashlib.sha256(f"{shop_id}:{reference.strip().upper()}".encode()).hexdigest()[:32]
    window = settings.TRACKING_PORTAL_LOOKUP_WINDOW_SECONDS
    client_ok = _hit(f"tp:lookup:ip:{client_ip}", settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT, window)
    reference_ok = _hit(f"tp:lookup:ref:{reference_digest}", settings.TRACKING_PORTAL_LOOKUPS_PER_ORDER, window)
    if client_ok and reference_ok:
        return LookupQuota(allowed=True)
    return LookupQuota(allowed=False, retry_after=window)


def _normalize_email(value: str) -> str:
    return value.strip().lower()


def _normalize_postcode(value: str) -> str:
    return "".join(character for character in value.upper() if character.isalnum())


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


# Compared against when the order does not exist, so both branches do the same work.
_ABSENT = _digest("\x00absent")


def lookup_secret_matches(*, order: LookedUpOrder | None, secret: str) -> bool:
    """True when ``secret`` is the order's email or postcode; constant-time, same work for a missing order."""
    email = _digest(_normalize_email(order.customer_email)) if order and order.customer_email else _ABSENT
    postcode_value = _normalize_postcode(order.shipping_postcode) if order else ""
    postcode = _digest(postcode_value) if postcode_value else _ABSENT
    email_ok = hmac.compare_digest(_digest(_normalize_email(secret)), email)
    postcode_ok = hmac.compare_digest(_digest(_normalize_postcode(secret)), postcode)
    return order is not None and (email_ok or postcode_ok)
