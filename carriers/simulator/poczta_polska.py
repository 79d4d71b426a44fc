"""Poczta Polska USS 2.0: checkmailex (GET), checkmailcollectionex (POST), login; Warsaw times, no offset."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from carriers.simulator.core import (
    Journey,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    json_response,
    register_wire_format,
    text_response,
    wall_clock,
)

_WARSAW = ZoneInfo("Europe/Warsaw")
_API = "/uss/v2.0/tracking"

STEPS = {
    "label": ("P_REJ_KN1", "Przesyłka zarejestrowana w systemie"),
    "picked_up": ("P_NAD", "Nadanie"),
    "sorting": ("P_WZL", "Wysłanie przesyłki"),
    "out_for_delivery": ("P_WD", "Wydanie przesyłki do doręczenia"),
    "failed_attempt": ("P_A", "Awizo - przesyłka do odebrania w placówce"),
    "ready_for_pickup": ("P_A", "Awizo - przesyłka do odebrania w placówce"),
    "delivered": ("P_D", "Doręczono"),
    "returning": ("P_ZWROT", "Zwrot przesyłki do nadawcy"),
}


def serve(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """Answer the three USS methods the adapter uses."""
    if request.method == "GET" and request.path == f"{_API}/checkmailex":
        return json_response(_answer(request.query.get("number", ""), lookup))
    if request.method == "POST" and request.path == f"{_API}/checkmailcollectionex":
        numbers = json.loads(request.body or b"{}").get("number") or []
        return json_response([_answer(str(number), lookup) for number in numbers])
    if request.method == "POST" and request.path == f"{_API}/login":
        return json_response("demo-token")
    return text_response("Not Found", 404)


def _answer(number: str, lookup: JourneyLookup) -> dict[str, Any]:
    if is_unknown(number):
        return {"mailInfo": None, "number": number, "mailStatus": -1}
    return {"mailInfo": render(lookup(number)), "number": number, "mailStatus": 0}


def render(journey: Journey) -> dict[str, Any]:
    """The mailInfo object for a journey."""
    last_code = journey.events[-1].raw_code
    return {
        "number": journey.number,
        "typeOfMailCode": "PP",
        "typeOfMailName": "Paczka pocztowa",
        "finished": last_code == "P_D",
        "events": [
            {
                "code": event.raw_code,
                "name": event.text,
                "time": wall_clock(event.at, _WARSAW),
                "postOffice": {"name": f"UP {event.location}"},
                "finished": event.raw_code == "P_D",
                "canceled": False,
            }
            for event in journey.events
        ],
    }


WIRE_FORMAT = register_wire_format(
    WireFormat(
        code="poczta_polska",
        steps=STEPS,
        scenarios=("courier_delivery", "failed_attempt_then_delivery", "delayed", "return_to_sender"),
        serve=serve,
    )
)
