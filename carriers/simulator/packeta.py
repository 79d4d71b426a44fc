"""Packeta REST/XML: `POST /api/rest` with a packetTracking call; faults with HTTP 200; Prague times."""

from __future__ import annotations

from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from carriers.simulator.core import (
    ALL_SCENARIOS,
    Journey,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    parse_xml,
    register_wire_format,
    text_response,
    wall_clock,
    xml_response,
)

_PRAGUE = ZoneInfo("Europe/Prague")

STEPS = {
    "label": ("1", "We have received the packet data."),
    "picked_up": ("2", "Packet arrived at the depot."),
    "sorting": ("4", "Packet has departed from the depot."),
    "ready_for_pickup": ("5", "Packet is ready for pickup."),
    "failed_attempt": ("16", "Unsuccessful delivery attempt."),
    "delivered": ("7", "Packet was delivered."),
    "pickup_expired": ("20", "Storage time has expired."),
    "returning": ("9", "Packet is on its way back to the sender."),
    "returned": ("10", "Packet was returned to the sender."),
}
_CODE_TEXTS = {
    "1": "received data",
    "2": "arrived",
    "4": "departed",
    "5": "ready for pickup",
    "7": "delivered",
    "9": "posted back",
    "10": "returned",
    "16": "delivery attempt",
    "20": "storage time expired",
}


def serve(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """Answer packetTracking; any other method is an IncorrectDataFault, as Packeta would."""
    if request.method != "POST" or request.path != "/api/rest":
        return text_response("Not Found", 404)
    call = parse_xml(request.body)
    if call is None:
        return xml_response(_fault("IncorrectDataFault", "Invalid XML"))
    if call.tag != "packetTracking":
        return xml_response(_fault("IncorrectDataFault", f"Unsupported method {call.tag}"))
    packet_id = (call.findtext("packetId") or "").strip()
    number = f"Z{packet_id}" if packet_id.isdigit() else packet_id
    if is_unknown(number) or not number:
        return xml_response(_fault("PacketIdFault", "Packet with this id does not exist."))
    return xml_response(render(lookup(number)))


def render(journey: Journey) -> str:
    """The packetTracking answer for a journey."""
    records = "".join(
        "<record>"
        f"<dateTime>{wall_clock(event.at, _PRAGUE)}</dateTime>"
        f"<statusCode>{event.raw_code}</statusCode>"
        f"<codeText>{_CODE_TEXTS[event.raw_code]}</codeText>"
        f"<statusText>{escape(event.text)}</statusText>"
        "<branchId>0</branchId>"
        "<destinationBranchId>1234</destinationBranchId>"
        "<externalTrackingCode/>"
        "</record>"
        for event in journey.events
    )
    return f'<?xml version="1.0" encoding="utf-8"?><response><status>ok</status><result>{records}</result></response>'


def _fault(fault: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<response><status>fault</status><fault>{fault}</fault><string>{escape(message)}</string></response>"
    )


WIRE_FORMAT = register_wire_format(
    WireFormat(
        code="packeta",
        steps=STEPS,
        scenarios=ALL_SCENARIOS,
        serve=serve,
    )
)
