"""InPost ShipX: `GET /v1/tracking/{number}`, JSON, details newest first, times with offset; `GET /v1/points`.

The points answer (three lockers "near" any postcode, made up from it) has the shape of
tests/fixtures/carriers/inpost/points_nearby.json.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from carriers.simulator.core import (
    ALL_SCENARIOS,
    Journey,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    json_response,
    register_wire_format,
)

_WARSAW = ZoneInfo("Europe/Warsaw")
_PATH = re.compile(r"/v1/tracking/([^/]+)")
_LOCKER_SCENARIOS = frozenset({"locker_pickup", "return_to_sender"})

STEPS = {
    "label": ("confirmed", ""),
    "picked_up": ("collected_from_sender", ""),
    "sorting": ("adopted_at_sorting_center", ""),
    "delayed": ("delay_in_delivery", ""),
    "out_for_delivery": ("out_for_delivery", ""),
    "ready_for_pickup": ("ready_to_pickup", ""),
    "failed_attempt": ("avizo", ""),
    "delivered": ("delivered", ""),
    "pickup_expired": ("stack_parcel_pickup_time_expired", ""),
    "returning": ("returned_to_sender", ""),
    "returned": ("return_pickup_confirmation_to_sender", ""),
}


def serve(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """Answer ShipX tracking (unknown numbers get ShipX's 404 error object) and the points search."""
    if request.method == "GET" and request.path == "/v1/points":
        return json_response(points(request.query.get("relative_post_code", ""), request.query.get("per_page", "3")))
    match = _PATH.fullmatch(request.path)
    if request.method != "GET" or not match:
        return json_response({"status": 404, "error": "not_found", "message": "Not found", "details": {}}, 404)
    number = unquote(match.group(1))
    if is_unknown(number):
        return json_response(
            {"status": 404, "error": "resource_not_found", "message": "Resource not found", "details": {}}, 404
        )
    return json_response(render(lookup(number)))


def render(journey: Journey) -> dict[str, Any]:
    """The ShipX tracking object for a journey."""
    locker = journey.scenario in _LOCKER_SCENARIOS
    details = [
        {
            "status": event.raw_code,
            "origin_status": event.raw_code.upper()[:3],
            "agency": None,
            "datetime": event.at.astimezone(_WARSAW).isoformat(timespec="milliseconds"),
        }
        for event in reversed(journey.events)
    ]
    first, last = journey.events[0].at, journey.events[-1].at
    service = "inpost_locker_standard" if locker else "inpost_courier_standard"
    return {
        "tracking_number": journey.number,
        "type": service,
        "service": service,
        "status": journey.events[-1].raw_code,
        "custom_attributes": _locker(journey) if locker else {"size": "B"},
        "tracking_details": details,
        "expected_flow": [],
        "created_at": first.astimezone(_WARSAW).isoformat(timespec="milliseconds"),
        "updated_at": last.astimezone(_WARSAW).isoformat(timespec="milliseconds"),
    }


_DEMO_POINTS = (
    ("ul. Długa 12", "Przy sklepie spożywczym", "24/7", True, 240),
    ("ul. Rynek Główny 3", "W galerii, poziom 0", "pn-sob 8-21", False, 650),
    ("al. Pokoju 44", "Na parkingu stacji paliw", "24/7", True, 1320),
)


def points(postcode: str, per_page: str) -> dict[str, Any]:
    """Lockers near ``postcode`` (made up, stable per postcode), nearest first."""
    prefix = "".join(ch for ch in postcode if ch.isdigit())[:2] or "00"
    count = max(1, min(int(per_page) if per_page.isdigit() else 3, len(_DEMO_POINTS)))
    items = [
        {
            "href": f"/v1/points/DEM{prefix}{index:02d}M",
            "name": f"DEM{prefix}{index:02d}M",
            "type": ["parcel_locker"],
            "status": "Operating",
            "location": {"latitude": 50.06 + index / 100, "longitude": 19.94 + index / 100},
            "location_description": description,
            "distance": distance,
            "opening_hours": hours,
            "location_247": always_open,
            "address": {"line1": street, "line2": f"{postcode} Kraków"},
            "address_details": {"city": "Kraków", "post_code": postcode, "street": street, "building_number": ""},
        }
        for index, (street, description, hours, always_open, distance) in enumerate(_DEMO_POINTS[:count], start=1)
    ]
    return {"count": len(items), "page": 1, "per_page": count, "total_pages": 1, "items": items}


def _locker(journey: Journey) -> dict[str, Any]:
    city = journey.destination
    machine = f"{city[:3].upper()}01M"
    return {
        "size": "B",
        "target_machine_id": machine,
        "dropoff_machine_id": None,
        "target_machine_detail": {
            "name": machine,
            "opening_hours": "24/7",
            "location_description": "Przy wejściu do sklepu",
            "location": {"latitude": 52.2297, "longitude": 21.0122},
            "address": {"line1": "ul. Demo 1", "line2": f"00-001 {city}"},
            "type": ["parcel_locker"],
            "location247": True,
        },
    }


WIRE_FORMAT = register_wire_format(
    WireFormat(
        code="inpost",
        steps=STEPS,
        scenarios=ALL_SCENARIOS,
        serve=serve,
    )
)
