"""The drop-off points nearest to the customer, for return methods whose carrier has a points API (InPost).

The server asks the carrier (with a short timeout) and caches the answer per postcode, so neither the
page nor the email makes a third-party request: each point is plain text plus a plain map link. A
carrier that fails gives no points, never an error page.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

import httpx
from django.conf import settings
from django.core.cache import cache

from carriers.inpost_points import DEFAULT_BASE_URL, NearbyPoint, PointsUnavailable, points_near, polish_postcode
from returns.models import ReturnMethod
from shipments.models import Order

logger = logging.getLogger(__name__)

# Lockers move rarely; a day-old list is still right. A failure is remembered briefly so a down API is not hammered.
POINTS_CACHE_SECONDS = 6 * 3600
POINTS_FAILURE_CACHE_SECONDS = 120
# A page waits for this at most on a cache miss.
POINTS_TIMEOUT_SECONDS = 3.0
POINTS_SHOWN = 3


def inpost_points_client() -> httpx.Client:
    """The HTTP client of the points API (tests replace it with one on a mock transport)."""
    return httpx.Client()


def dropoff_points_for(
    *, order: Order, method: str, client: httpx.Client | None = None, base_url: str | None = None
) -> list[dict]:
    """The points nearest to the order's shipping postcode for ``method`` (JSON rows), [] when none can be had.

    ``client`` and ``base_url`` default to a fresh client and the deployment's ``CARRIER_INPOST_BASE_URL``.
    """
    if method != ReturnMethod.INPOST_CODE or (order.shipping_country or "PL").upper() != "PL":
        return []
    postcode = polish_postcode(order.shipping_postcode)
    if not postcode:
        return []
    # Carrier data about public places, the same for every shop: one cache entry per postcode.
    key = f"returns:dropoff:inpost:{postcode}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    base_url = base_url or settings.CARRIER_ENV.get("CARRIER_INPOST_BASE_URL", DEFAULT_BASE_URL)
    try:
        # A client the caller gave stays open for the caller.
        with nullcontext(client) if client is not None else inpost_points_client() as http:
            points = points_near(
                postcode=postcode,
                client=http,
                base_url=base_url,
                timeout=min(POINTS_TIMEOUT_SECONDS, settings.CARRIER_HTTP_TIMEOUT),
                limit=POINTS_SHOWN,
            )
    except PointsUnavailable as error:
        logger.warning("InPost points for a return unavailable: %s", error)
        cache.set(key, [], POINTS_FAILURE_CACHE_SECONDS)
        return []
    rows = [_row(point) for point in points]
    cache.set(key, rows, POINTS_CACHE_SECONDS)
    return rows


def _row(nearby: NearbyPoint) -> dict:
    point = nearby.point
    return {
        "id": point.id,
        "name": point.name,
        "address": point.address,
        "description": point.description,
        "opening_hours": point.opening_hours,
        "distance_m": nearby.distance_m,
        "map_url": nearby.map_url,
    }
