"""DHL, DPD Polska, GLS, UPS and FedEx wire formats for the demo carrier.

Each answers the paths its adapter calls, in the carrier's shape, with the carrier's own
not-found answer for `NOTFOUND...` numbers. The OAuth carriers (GLS, UPS, FedEx) also answer
their token endpoint; the simulator sees no headers, so any credentials are accepted. Steps use
only codes the adapters know; a step a carrier has no verified code for is left out (the journey
skips it), which is why GLS has no delay or return leg and DPD's return ends on the return waybill.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from carriers.simulator.core import (
    ALL_SCENARIOS,
    Journey,
    JourneyEvent,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    json_response,
    parse_xml,
    register_wire_format,
    text_response,
    wall_clock,
    xml_response,
)

_BERLIN = ZoneInfo("Europe/Berlin")
_WARSAW = ZoneInfo("Europe/Warsaw")
_PICKUP_SCENARIOS = frozenset({"locker_pickup", "return_to_sender"})


def _token(name: str) -> SimResponse:
    return json_response({"access_token": f"demo-{name}-token", "token_type": "Bearer", "expires_in": 3599})


def _waiting(journey: Journey) -> JourneyEvent | None:
    """The newest 'ready for pickup' event, if the parcel went to a pickup point."""
    if journey.scenario not in _PICKUP_SCENARIOS:
        return None
    return next((event for event in reversed(journey.events) if event.step == "ready_for_pickup"), None)


# --------------------------------------------------------------------------- DHL

DHL_STEPS = {
    "label": (
        "pre-transit",
        "The instruction data for this shipment have been provided by the sender to DHL electronically",
    ),
    "picked_up": ("transit", "Shipment picked up"),
    "sorting": ("transit", "The shipment has been processed in the parcel center"),
    "delayed": ("transit", "Shipment delay: the shipment could not be forwarded as planned"),
    "out_for_delivery": ("transit", "The shipment has been loaded onto the delivery vehicle"),
    "ready_for_pickup": ("transit", "The shipment is ready for pickup at the retail outlet"),
    "failed_attempt": ("failure", "Delivery attempt failed: the recipient was not at home"),
    "delivered": ("delivered", "The shipment has been successfully delivered"),
    "pickup_expired": ("failure", "The shipment was not picked up within the storage period"),
    "returning": ("transit", "The shipment is being returned to the sender"),
    "returned": ("delivered", "The shipment has been delivered back to the sender"),
}


def serve_dhl(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """`GET /track/shipments?trackingNumber=N`; unknown numbers get DHL's 404 problem JSON."""
    number = request.query.get("trackingNumber", "")
    if request.method != "GET" or request.path != "/track/shipments" or not number:
        return json_response({"title": "Not Found", "status": 404, "detail": "Resource not found"}, 404)
    if is_unknown(number):
        problem = {
            "title": "No result found",
            "status": 404,
            "detail": "No shipment with given tracking number found.",
            "instance": f"/shipment/{number}",
        }
        return json_response(problem, 404)
    return json_response({"shipments": [render_dhl(lookup(number))]})


def render_dhl(journey: Journey) -> dict[str, Any]:
    """One DHL Parcel DE shipment for a journey, events newest first."""
    events = [
        {
            "timestamp": event.at.astimezone(_BERLIN).isoformat(timespec="seconds"),
            "location": {"address": {"countryCode": "PL", "addressLocality": event.location}},
            "statusCode": event.raw_code,
            "status": event.raw_code.upper(),
            "description": event.text,
        }
        for event in reversed(journey.events)
    ]
    destination: dict[str, Any] = {"address": {"countryCode": "PL", "addressLocality": journey.destination}}
    if _waiting(journey) is not None:
        destination["servicePoint"] = {
            "url": "https://www.dhl.de/de/privatkunden/dhl-standorte-finden.html",
            "label": f"DHL POP {journey.destination}",
        }
    return {
        "id": journey.number,
        "service": "parcel-de",
        "origin": {"address": {"countryCode": "DE"}},
        "destination": destination,
        "status": events[0],
        "details": {"product": {"productName": "DHL Paket International"}, "totalNumberOfPieces": 1},
        "events": events,
    }


# --------------------------------------------------------------------------- DPD Polska

DPD_STEPS = {
    "label": ("030103", "Zarejestrowano dane przesyłki, przesyłka jeszcze nie nadana"),
    "picked_up": ("040101", "Przesyłka odebrana przez Kuriera"),
    "sorting": ("330135", "Przyjęcie przesyłki w oddziale DPD"),
    "delayed": ("230309", "Przesyłka nie dotarła do oddziału doręczającego"),
    "out_for_delivery": ("170102", "Wydanie przesyłki do doręczenia"),
    "ready_for_pickup": ("511901", "Przesyłka oczekuje na odbiór w punkcie DPD Pickup"),
    "failed_attempt": ("200201", "Przesyłka niedoręczona - brak odbiorcy"),
    "delivered": ("190101", "Przesyłka doręczona"),
    "pickup_expired": ("230506", "Upłynął termin odbioru przesyłki w punkcie"),
    "returning": ("230403", "Zwrot przesyłki"),
}
_DPD_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_DPD_EVENTS = "http://events.dpdinfoservices.dpd.com.pl/"
_DPD_PATH = "/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents"


def serve_dpd(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """The getEventsForWaybillV1 SOAP call; unknown waybills get an answer without rows, as DPD does."""
    if request.method != "POST" or request.path != _DPD_PATH:
        return text_response("Not Found", 404)
    call = parse_xml(request.body)
    if call is None:
        return xml_response(_dpd_fault("Unmarshalling Error"), 500)
    waybill = (call.findtext(f"./{{{_DPD_SOAP}}}Body/{{{_DPD_EVENTS}}}getEventsForWaybillV1/waybill") or "").strip()
    if not waybill:
        return xml_response(_dpd_fault("Unmarshalling Error: waybill is required"), 500)
    rows = "" if is_unknown(waybill) else render_dpd(lookup(waybill))
    return xml_response(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<S:Envelope xmlns:S="{_DPD_SOAP}"><S:Body>'
        f'<ns2:getEventsForWaybillV1Response xmlns:ns2="{_DPD_EVENTS}">'
        f"<return><confirmId>0</confirmId>{rows}</return>"
        "</ns2:getEventsForWaybillV1Response></S:Body></S:Envelope>"
    )


def render_dpd(journey: Journey) -> str:
    """eventsList rows for a journey, newest first, Warsaw time without an offset."""
    rows = []
    for event in reversed(journey.events):
        at_pickup = event.step == "ready_for_pickup"
        depot = f"PL{sum(map(ord, journey.destination)) % 90000 + 10000}" if at_pickup else "1013"
        depot_name = f"DPD Pickup {journey.destination}" if at_pickup else event.location
        rows.append(
            "<eventsList>"
            f"<businessCode>{event.raw_code}</businessCode><country>PL</country>"
            f"<depot>{depot}</depot><depotName>{escape(depot_name)}</depotName>"
            f"<description>{escape(event.text)}</description>"
            f"<eventTime>{wall_clock(event.at, _WARSAW)}</eventTime>"
            f"<objectId>0</objectId><packageReference/><parcelReference/>"
            f"<waybill>{escape(journey.number)}</waybill>"
            "</eventsList>"
        )
    return "".join(rows)


def _dpd_fault(message: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{_DPD_SOAP}"><S:Body><S:Fault>'
        f"<faultcode>S:Client</faultcode><faultstring>{escape(message)}</faultstring>"
        "</S:Fault></S:Body></S:Envelope>"
    )


# --------------------------------------------------------------------------- GLS

GLS_STEPS = {
    "label": (
        "INTIAL.PREADVICE",
        "The parcel data was entered into the GLS IT system; the parcel was not yet handed over to GLS.",
    ),
    "picked_up": ("INTIAL.NORMAL", "The parcel was handed over to GLS."),
    "sorting": ("INBOUD.NORMAL", "The parcel has reached the parcel center."),
    "out_for_delivery": ("OUTDEL.NORMAL", "The parcel is expected to be delivered during the day."),
    "ready_for_pickup": (
        "DELIVD.PARCELSHOP",
        "The parcel has been delivered at the ParcelShop (see ParcelShop information).",
    ),
    "failed_attempt": ("NOTDEL.ABSENT", "The parcel could not be delivered as the consignee was absent."),
    "delivered": ("DELIVD.NORMAL", "The parcel has been delivered."),
}
# The parcel-level status GLS reports after each step (ParcelDTO.status).
_GLS_PARCEL_STATUS = {
    "label": "PREADVICE",
    "picked_up": "INTRANSIT",
    "sorting": "INWAREHOUSE",
    "out_for_delivery": "INDELIVERY",
    "ready_for_pickup": "DELIVEREDPS",
    "failed_attempt": "NOTDELIVERED",
    "delivered": "DELIVERED",
}
_GLS_TRACK = re.compile(r"/track-and-trace-v1/tracking/simple/trackids/([^/]+)")
_GLS_LIMIT = 10


def serve_gls(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """The token endpoint and `trackids/{n1,n2,...}` (at most 10); unknown numbers get E_404_01."""
    if request.method == "POST" and request.path == "/oauth2/v2/token":
        return _token("gls")
    match = _GLS_TRACK.fullmatch(request.path)
    if request.method != "GET" or not match:
        return json_response({"type": "about:blank", "title": "Not Found", "status": 404}, 404)
    numbers = [unquote(number) for number in match.group(1).split(",") if number]
    if len(numbers) > _GLS_LIMIT:
        detail = f"Provided references of size '{len(numbers)}' is more than allowed limit of {_GLS_LIMIT}"
        return json_response({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail}, 400)
    parcels = [
        {"requested": number, "errorCode": "E_404_01", "errorMessage": "Resource Not Found"}
        if is_unknown(number)
        else render_gls(lookup(number))
        for number in numbers
    ]
    return json_response({"parcels": parcels})


def render_gls(journey: Journey) -> dict[str, Any]:
    """One ParcelDTO for a journey, events newest first."""
    events = [
        {
            "code": event.raw_code,
            "city": event.location,
            "postalCode": "",
            "country": "PL",
            "description": event.text,
            "eventDateTime": event.at.astimezone(_BERLIN).strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        for event in reversed(journey.events)
    ]
    return {
        "requested": journey.number,
        "unitno": journey.number,
        "status": _GLS_PARCEL_STATUS[journey.events[-1].step],
        "statusDateTime": events[0]["eventDateTime"],
        "events": events,
    }


# --------------------------------------------------------------------------- UPS

UPS_STEPS = {
    "label": ("MP", "Shipper created a label, UPS has not received the package yet."),
    "picked_up": ("PU", "Pickup Scan"),
    "sorting": ("AR", "Arrived at Facility"),
    "delayed": ("8", "Due to operating conditions, your package may be delayed."),
    "out_for_delivery": ("OT", "Out For Delivery Today"),
    "ready_for_pickup": ("", "Delivered to UPS Access Point™ and awaiting customer pickup."),
    "failed_attempt": (
        "48",
        "The receiver was not available for delivery. We'll make a second attempt the next business day.",
    ),
    "delivered": ("F4", "DELIVERED"),
    "pickup_expired": ("", "Unable to Deliver"),
    "returning": ("", "Returning to Sender"),
    "returned": ("", "Returned to Sender"),
}
# Activity type and three-digit status code of each step (UPS's published code lists).
_UPS_TYPE_AND_STATUS_CODE = {
    "label": ("M", "003"),
    "picked_up": ("I", "038"),
    "sorting": ("I", "005"),
    "delayed": ("X", "046"),
    "out_for_delivery": ("I", "072"),
    "ready_for_pickup": ("X", "040"),
    "failed_attempt": ("X", "022"),
    "delivered": ("D", "011"),
    "pickup_expired": ("X", "069"),
    "returning": ("I", "035"),
    "returned": ("D", "034"),
}
_UPS_DETAILS = re.compile(r"/api/track/v1/details/([^/]+)")


def serve_ups(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """The token endpoint and `details/{n}`; unknown numbers get UPS's 404 with TW0001."""
    if request.method == "POST" and request.path == "/security/v1/oauth/token":
        return _token("ups")
    match = _UPS_DETAILS.fullmatch(request.path)
    if request.method != "GET" or not match:
        return json_response({"response": {"errors": [{"code": "404", "message": "Resource not found"}]}}, 404)
    number = unquote(match.group(1))
    if is_unknown(number):
        errors = [{"code": "TW0001", "message": "Tracking Information Not Found"}]
        return json_response({"response": {"errors": errors}}, 404)
    return json_response(
        {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [render_ups(lookup(number))]}]}}
    )


def render_ups(journey: Journey) -> dict[str, Any]:
    """One package for a journey, activities newest first with local and GMT times."""
    activities = []
    for event in reversed(journey.events):
        kind, status_code = _UPS_TYPE_AND_STATUS_CODE[event.step]
        local, gmt = event.at.astimezone(_WARSAW), event.at.astimezone(UTC)
        offset = local.strftime("%z")
        activities.append(
            {
                "location": {"address": {"city": event.location, "country": "PL", "countryCode": "PL"}},
                "status": {"type": kind, "description": event.text, "code": event.raw_code, "statusCode": status_code},
                "date": local.strftime("%Y%m%d"),
                "time": local.strftime("%H%M%S"),
                "gmtDate": gmt.strftime("%Y%m%d"),
                "gmtTime": gmt.strftime("%H%M%S"),
                "gmtOffset": f"{offset[:3]}:{offset[3:]}",
            }
        )
    package: dict[str, Any] = {
        "trackingNumber": journey.number,
        "activity": activities,
        "service": {"code": "011", "description": "UPS Standard"},
        "packageCount": 1,
    }
    if _waiting(journey) is not None:
        package["accessPointInformation"] = {"pickupByDate": ""}
    return package


# --------------------------------------------------------------------------- FedEx

FEDEX_STEPS = {
    "label": ("OC", "Shipment information sent to FedEx"),
    "picked_up": ("PU", "Picked up"),
    "sorting": ("AR", "Arrived at FedEx location"),
    "delayed": ("DY", "Delay"),
    "out_for_delivery": ("OD", "On FedEx vehicle for delivery"),
    "ready_for_pickup": ("HP", "Ready for recipient pickup"),
    "failed_attempt": ("DE", "Customer not available or business closed"),
    "delivered": ("DL", "Delivered"),
    "pickup_expired": ("SE", "Shipment exception"),
    "returning": ("RS", "Returning package to shipper"),
}
_FEDEX_LIMIT = 30


def serve_fedex(request: SimRequest, lookup: JourneyLookup) -> SimResponse:
    """The token endpoint and `trackingnumbers` (at most 30); unknown numbers get NOTFOUND entries."""
    if request.method == "POST" and request.path == "/oauth/token":
        return _token("fedex")
    if request.method != "POST" or request.path != "/track/v1/trackingnumbers":
        return _fedex_error("NOT.FOUND.ERROR", "The resource you requested is no longer available.", 404)
    try:
        numbers = [info["trackingNumberInfo"]["trackingNumber"] for info in json.loads(request.body)["trackingInfo"]]
    except (ValueError, KeyError, TypeError):
        return _fedex_error("INVALID.INPUT.EXCEPTION", "Invalid field value in the input", 400)
    if not numbers or len(numbers) > _FEDEX_LIMIT:
        return _fedex_error("TRACKING.TRACKINGNUMBER.LIMIT.EXCEEDED", "Up to 30 tracking numbers per request.", 400)
    results = [_fedex_unknown(number) if is_unknown(number) else render_fedex(lookup(number)) for number in numbers]
    return json_response({"transactionId": "demo", "output": {"completeTrackResults": results}})


def render_fedex(journey: Journey) -> dict[str, Any]:
    """One completeTrackResults entry for a journey, scan events newest first."""
    scans = []
    for event in reversed(journey.events):
        scan: dict[str, Any] = {
            "date": event.at.astimezone(_WARSAW).isoformat(timespec="seconds"),
            "eventType": event.raw_code,
            "eventDescription": "Delivery exception" if event.raw_code == "DE" else event.text,
            "scanLocation": {"city": event.location.upper(), "countryCode": "PL"},
        }
        if event.raw_code == "DE":
            scan |= {"exceptionCode": "08", "exceptionDescription": event.text}
        scans.append(scan)
    track: dict[str, Any] = {
        "trackingNumberInfo": {"trackingNumber": journey.number, "carrierCode": "FDXE"},
        "serviceDetail": {"description": "FedEx International Priority", "type": "FEDEX_INTERNATIONAL_PRIORITY"},
        "latestStatusDetail": {"code": journey.events[-1].raw_code, "description": journey.events[-1].text},
        "scanEvents": scans,
    }
    if _waiting(journey) is not None:
        track["holdAtLocation"] = {
            "locationId": "WAWR",
            "locationContactAndAddress": {
                "contact": {"companyName": f"FedEx Station {journey.destination}"},
                "address": {"streetLines": ["ul. Demo 1"], "city": journey.destination, "countryCode": "PL"},
            },
        }
    return {"trackingNumber": journey.number, "trackResults": [track]}


def _fedex_unknown(number: str) -> dict[str, Any]:
    error = {
        "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
        "message": "Tracking number cannot be found. Please correct the tracking number and try again.",
    }
    return {
        "trackingNumber": number,
        "trackResults": [{"trackingNumberInfo": {"trackingNumber": number}, "error": error}],
    }


def _fedex_error(code: str, message: str, status: int) -> SimResponse:
    return json_response({"transactionId": "demo", "errors": [{"code": code, "message": message}]}, status)


WIRE_FORMATS: Mapping[str, WireFormat] = {
    wire_format.code: register_wire_format(wire_format)
    for wire_format in (
        WireFormat(code="dhl", steps=DHL_STEPS, scenarios=ALL_SCENARIOS, serve=serve_dhl),
        WireFormat(code="dpd", steps=DPD_STEPS, scenarios=ALL_SCENARIOS, serve=serve_dpd),
        WireFormat(
            code="gls",
            steps=GLS_STEPS,
            scenarios=("locker_pickup", "courier_delivery", "failed_attempt_then_delivery"),
            serve=serve_gls,
        ),
        WireFormat(code="ups", steps=UPS_STEPS, scenarios=ALL_SCENARIOS, serve=serve_ups),
        WireFormat(code="fedex", steps=FEDEX_STEPS, scenarios=ALL_SCENARIOS, serve=serve_fedex),
    )
}
