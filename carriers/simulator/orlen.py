"""Orlen Paczka SOAP: GiveMePackStatusFullHistoryList; rows per pack code, UTC times; POWROT = return leg."""

from __future__ import annotations

from datetime import UTC
from xml.sax.saxutils import escape

from carriers.simulator.core import (
    Journey,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    parse_xml,
    register_wire_format,
    text_response,
    xml_response,
)

_NAMESPACE = "https://91.242.220.103/WebServicePwR"
_OPERATION = "GiveMePackStatusFullHistoryList"
_PATH = "/WebServicePwRProd/WebServicePwR.asmx"

STEPS = {
    "label": ("200", "Zaawizowana do PwR"),
    "picked_up": ("210", "Nadana w punkcie"),
    "sorting": ("240", "W transporcie do ekspedycji u kuriera"),
    "out_for_delivery": ("680", "W transporcie do punktu odbioru"),
    "ready_for_pickup": ("690", "W kiosku"),
    "delivered": ("1000", "Odebrana przez klienta"),
    "pickup_expired": ("709", "Nieodebrana w terminie"),
    "returning": ("POWROT:240", "W transporcie do nadawcy"),
    "returned": ("POWROT:1000", "Odebrana przez nadawcę"),
}


def serve(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """Answer the history call; unknown pack codes simply have no rows, as with the real service."""
    if request.method != "POST" or request.path != _PATH:
        return text_response("Not Found", 404)
    envelope = parse_xml(request.body)
    if envelope is None:
        return xml_response(_fault("Server was unable to read request."), 500)
    codes = [
        (element.text or "").strip()
        for element in envelope.iter()
        if element.tag.rsplit("}", 1)[-1] == "string" and element.text
    ]
    rows = "".join(render(lookup(code)) for code in codes if not is_unknown(code))
    return xml_response(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{_OPERATION}Response xmlns="{_NAMESPACE}"><{_OPERATION}Result>{rows}</{_OPERATION}Result>'
        f"</{_OPERATION}Response></soap:Body></soap:Envelope>"
    )


def render(journey: Journey) -> str:
    """The PackStatus rows of one pack code."""
    rows = []
    for event in journey.events:
        attribute, _, trans = event.raw_code.rpartition(":")
        when = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        rows.append(
            "<PackStatus>"
            f"<PackCode>{escape(journey.number)}</PackCode><Trans>{trans}</Trans>"
            f"<Trans_Des>{escape(event.text)}</Trans_Des><Data>{when}</Data>"
            + (f"<Attribute>{attribute}</Attribute>" if attribute else "<Attribute />")
            + "</PackStatus>"
        )
    return "".join(rows)


def _fault(message: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:Client</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )


WIRE_FORMAT = register_wire_format(
    WireFormat(code="orlen", steps=STEPS, scenarios=("locker_pickup", "delayed", "return_to_sender"), serve=serve)
)
