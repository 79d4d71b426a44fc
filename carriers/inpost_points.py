"""InPost ShipX points: the parcel lockers nearest to a postcode, where a return parcel can be dropped off.

``GET {base}/v1/points?relative_post_code=00-950&type=parcel_locker&status=Operating&per_page=N
&sort_by=distance_to_relative_point`` needs no token and answers ``{"count", "page", "items": [...]}``;
each item has ``name`` (the locker's code, e.g. ``WAW22A``), ``address`` {``line1``, ``line2``},
``address_details`` {``street``, ``building_number``, ``post_code``, ``city``}, ``location``
{``latitude``, ``longitude``}, ``location_description``, ``opening_hours`` (free text, may be empty),
``location_247`` and ``distance`` (metres from the postcode). Shapes follow the recorded fixture
``tests/fixtures/carriers/inpost/points_nearby.json``. Every call has a timeout; any failure becomes
``PointsUnavailable`` so the caller shows the page without points instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from carriers.types import PickupPoint

DEFAULT_BASE_URL = "https://api-shipx-pl.easypack24.net"
POLISH_POSTCODE = re.compile(r"^(\d{2})-?(\d{3})$")
MAX_POINTS = 10


class PointsUnavailable(Exception):
    """The points API gave no usable answer (timeout, connection error, error status, unexpected shape)."""


@dataclass(frozen=True)
class NearbyPoint:
    """A drop-off point and how far it is from the asked postcode (metres, None when not told)."""

    point: PickupPoint
    distance_m: int | None
    open_24_7: bool

    @property
    def map_url(self) -> str:
        """A plain link to the point on OpenStreetMap (empty without coordinates)."""
        if self.point.latitude is None or self.point.longitude is None:
            return ""
        lat, lon = f"{self.point.latitude:.5f}", f"{self.point.longitude:.5f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def polish_postcode(text: str) -> str:
    """``00-950`` from ``00950`` or `` 00-950 ``; '' when it is not a Polish postcode."""
    match = POLISH_POSTCODE.match((text or "").strip())
    return f"{match.group(1)}-{match.group(2)}" if match else ""


def points_near(
    *, postcode: str, client: httpx.Client, base_url: str = DEFAULT_BASE_URL, timeout: float = 5.0, limit: int = 3
) -> list[NearbyPoint]:
    """The operating parcel lockers nearest to a Polish ``postcode``, nearest first (none for a foreign one)."""
    normalized = polish_postcode(postcode)
    if not normalized:
        return []
    params = {
        "relative_post_code": normalized,
        "type": "parcel_locker",
        "status": "Operating",
        "per_page": str(max(1, min(limit, MAX_POINTS))),
        "sort_by": "distance_to_relative_point",
    }
    try:
        response = client.get(
            f"{base_url.rstrip('/')}/v1/points",
            params=params,
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except httpx.TransportError as error:
        raise PointsUnavailable(f"InPost points unreachable: {error}") from error
    if response.status_code != 200:
        raise PointsUnavailable(f"InPost points answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError as error:
        raise PointsUnavailable("InPost points answered with something other than JSON") from error
    items = answer.get("items") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise PointsUnavailable("InPost points answered without an items list")
    points = [point for point in (_point_from(item) for item in items) if point is not None]
    return points[: max(1, min(limit, MAX_POINTS))]


def _point_from(item: Any) -> NearbyPoint | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        return None
    address = item.get("address") if isinstance(item.get("address"), dict) else {}
    details = item.get("address_details") if isinstance(item.get("address_details"), dict) else {}
    location = item.get("location") if isinstance(item.get("location"), dict) else {}
    street = " ".join(_text(details.get(key)) for key in ("street", "building_number")).strip()
    line1 = _text(address.get("line1")) or street
    postcode, city = _text(details.get("post_code")), _text(details.get("city"))
    line2 = _text(address.get("line2")) or f"{postcode} {city}".strip()
    open_24_7 = item.get("location_247") is True
    distance = item.get("distance")
    return NearbyPoint(
        point=PickupPoint(
            id=item["name"],
            name=f"Paczkomat {item['name']}",
            address=", ".join(part for part in (line1, line2) if part),
            postcode=postcode,
            city=city,
            opening_hours=_text(item.get("opening_hours")) or ("24/7" if open_24_7 else ""),
            latitude=_coordinate(location.get("latitude")),
            longitude=_coordinate(location.get("longitude")),
            description=_text(item.get("location_description")),
        ),
        distance_m=round(distance) if isinstance(distance, int | float) and distance >= 0 else None,
        open_24_7=open_24_7,
    )


def _text(value: Any) -> str:
    return " ".join(value.split())[:200] if isinstance(value, str) else ""


def _coordinate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
