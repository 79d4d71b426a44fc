"""DPD Polska through DPDInfoServices, the SOAP event service (`getEventsForWaybillV1`).

`POST {base}/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents` with a SOAP envelope naming
the waybill, `eventsSelectType=ALL`, a language and `authDataV1` (login, password, channel). The
answer lists `eventsList` rows (newest first) with a six-digit `businessCode`, DPD's `description`,
`eventTime` in Polish local time without an offset, and the depot. An unknown waybill answers with
no rows; bad credentials answer a SOAP fault "Access denied to secured webserwis method".

Config: `username` is the login, `password` the password, `account` the channel (FID);
`extra["language"]` the language of DPD's texts (default "PL").

Business codes come from public client code, not from a DPD document: the first four digits name
the family (1901 delivered, 2002 recipient absent, ...), the last two the variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import register
from carriers.types import (
    ErrorKind,
    MalformedResponse,
    PickupPoint,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
)

_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_EVENTS_NS = "http://events.dpdinfoservices.dpd.com.pl/"
_ENDPOINT = "/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents"

# SOAP fault texts that mean the credentials are wrong; any other fault is left to the HTTP status.
FAULT_KINDS: Mapping[str, ErrorKind] = {
    "access denied": ErrorKind.AUTH,
    "login failed": ErrorKind.AUTH,
}

_IN_TRANSIT = (Status.IN_TRANSIT, "")
_DELAYED = (Status.IN_TRANSIT, Reason.DELAYED)
_ABSENT = (Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT)
_BAD_ADDRESS = (Status.FAILED_ATTEMPT, Reason.ADDRESS_PROBLEM)
_REFUSED = (Status.FAILED_ATTEMPT, Reason.REFUSED)
_NOT_DELIVERED = (Status.FAILED_ATTEMPT, "")
_AT_PICKUP_POINT = (Status.AVAILABLE_FOR_PICKUP, "")
_RETURNING = (Status.RETURNING_TO_SENDER, "")
_DELIVERED = (Status.DELIVERED, "")
_NOTE = (None, "")  # notifications and bookkeeping: say nothing about where the parcel is


def _codes(statuses: Mapping[tuple[Status | None, str], str]) -> dict[str, tuple[Status | None, str]]:
    """Expand {mapping: "code code ..."} into {code: mapping}; keeps the table readable."""
    return {code: mapping for mapping, codes in statuses.items() for code in codes.split()}


# Grouped by meaning; the comments give the name public clients use for the codes.
_STATUS_MAP = _codes(
    {
        (Status.INFO_RECEIVED, ""): "030103",  # registered parcel data, not dispatched yet
        (Status.IN_TRANSIT, Reason.PICKED_UP): (
            "040101 040102 170501 511801"  # received by courier; posted at / taken from a pickup point
        ),
        _IN_TRANSIT: (
            "050101 050102 110302 120100 120101 120102 120103 120104 150301 160101 160103 160501 160502"
            " 160503 170302 220101 230101 230405 320201 320202 330135 330137 370101 410135 502300 511201"
            " 600101 600102 600105 600106 700401 701701"
        ),
        _DELAYED: (
            "160102 160202 170205 200601 200604 210111 230207 230208 230209 230210 230309 260403 370201"
            " 370202 370203 370204 370205 370206 600601"
        ),
        (Status.IN_TRANSIT, Reason.REDIRECTED): "230402 600602",
        (Status.OUT_FOR_DELIVERY, ""): "170101 170102",
        _DELIVERED: "190101 190102 190103 190104 190105 190201 190202 190203 190204 190205 501300 501304"
        " 501340 701901 701902",
        _ABSENT: "200201 200202 200203 200204 200205 200206 500019 500037 500042 500419 500437 500442",
        _BAD_ADDRESS: "200300 200301 200302 200303 200304 200305 200306 200307 200308 200309 200310 210109"
        " 500011 500411 500811",
        _REFUSED: "200400 200402 200403 200404 200411 200416 200700 200702 200703 200704 200711 200716 500015"
        " 500414 500415 600402 600403 600404 600411 600416 600503 600702 600703 600704 600711 600716 702001",
        _NOT_DELIVERED: (
            "200401 200405 200406 200408 200409 200410 200412 200413 200414 200415 200500 200501 200502"
            " 200503 200504 200505 200701 200705 200706 200708 200709 200710 200712 200713 200714 200715"
            " 200801 500046 500085 500446 500485 500885 600401 600405 600406 600412 600413 600414 600415"
            " 600501 600502 600504 600505 600701 600705 600706 600712 600713 600714 600715 702102"
        ),
        _AT_PICKUP_POINT: "200602 511901 511902 511903 512001 600103 600104 703201",
        (Status.EXCEPTION, Reason.PICKUP_EXPIRED): "230506",
        (Status.EXCEPTION, Reason.LOST): "230310",  # parcel discarded
        _RETURNING: "230403 500610 500611 500612 500614 500615 500616 500617 500624 500629 500630 500633"
        " 500635 500637 500639 500642 500649 500661 500684 500685",
        _NOTE: (
            "040501 040502 040503 040504 040505 040601 040602 040603 040604 040605 170304 170305 170306"
            " 170307 170308 170309 170310 240304 250301 511701 511702 511703 511704"
        ),
    }
)

# Four-digit families for variants not listed above; final statuses are deliberately absent so an
# unknown variant can never close a shipment by guess.
_FAMILY_MAP: dict[str, tuple[Status | None, str]] = {
    "0401": (Status.IN_TRANSIT, Reason.PICKED_UP),
    "1201": _IN_TRANSIT,
    "1601": _IN_TRANSIT,
    "1701": (Status.OUT_FOR_DELIVERY, ""),
    "1703": _NOTE,
    "2002": _ABSENT,
    "2003": _BAD_ADDRESS,
    "2004": _REFUSED,
    "2005": _NOT_DELIVERED,
    "2007": _REFUSED,
    "5006": _RETURNING,
    "5117": _NOTE,
    "5119": _AT_PICKUP_POINT,
}


@register
class DpdAdapter(CarrierAdapter):
    """DPD Polska via the DPDInfoServices SOAP event service."""

    code = "dpd"
    name = "DPD"
    batch_size = 1
    timezone = "Europe/Warsaw"
    default_base_url = "https://dpdinfoservices.dpd.com.pl"
    tracking_url_template = "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1={number}"
    status_map = _STATUS_MAP
    family_map = _FAMILY_MAP

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """The SOAP envelope asking for all events of the one waybill of the chunk."""
        channel = self.config.account or self.config.extra.get("channel", "")
        envelope = (
            f'<soapenv:Envelope xmlns:soapenv="{_SOAP_NS}" xmlns:even="{_EVENTS_NS}">'
            "<soapenv:Header/><soapenv:Body><even:getEventsForWaybillV1>"
            f"<waybill>{escape(numbers[0])}</waybill>"
            "<eventsSelectType>ALL</eventsSelectType>"
            f"<language>{escape(self.config.extra.get('language', 'PL'))}</language>"
            f"<authDataV1><channel>{escape(channel)}</channel><login>{escape(self.config.username)}</login>"
            f"<password>{escape(self.config.password)}</password></authDataV1>"
            "</even:getEventsForWaybillV1></soapenv:Body></soapenv:Envelope>"
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return self.make_request("POST", _ENDPOINT, content=envelope.encode("utf-8"), headers=headers)

    def classify_response(self, response: httpx.Response) -> TrackingError | None:
        """SOAP faults for bad credentials come as HTTP 500; they are auth errors, not outages."""
        if response.status_code >= 400:
            fault = self._fault_string(response)
            for needle, kind in FAULT_KINDS.items():
                if needle in fault.lower():
                    return TrackingError(kind, f"DPD refused the request: {fault}", None, response.status_code)
        return super().classify_response(response)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """All events of the waybill; no rows means DPD does not know it."""
        number = numbers[0]
        body = self.xml_body(response).find(f"{{{_SOAP_NS}}}Body")
        answer = None if body is None else body.find(f"{{{_EVENTS_NS}}}getEventsForWaybillV1Response")
        if answer is None:
            raise MalformedResponse("DPD answer has no getEventsForWaybillV1Response")
        rows = answer.findall("./return/eventsList")
        if not rows:
            return {number: TrackingError(ErrorKind.NOT_FOUND, f"DPD has no events for {number}")}
        # DPD lists newest first; oldest first keeps same-second events in their real order.
        pairs = [(row, self._event(row)) for row in reversed(rows)]
        result = self.result(
            number, [event for _, event in pairs], pickup_point=_pickup_point(pairs), raw=response.text
        )
        return {number: result}

    def _event(self, row: Element) -> TrackingEvent:
        code = _text(row, "businessCode")
        if not code:
            raise MalformedResponse("DPD event without businessCode")
        location = ", ".join(part for part in (_text(row, "depotName"), _text(row, "country")) if part)
        return self.event(self.parse_time(_text(row, "eventTime")), code, _text(row, "description"), location)

    def _fault_string(self, response: httpx.Response) -> str:
        try:
            root = self.xml_body(response)
        except MalformedResponse:
            return ""
        return (root.findtext(f"./{{{_SOAP_NS}}}Body/{{{_SOAP_NS}}}Fault/faultstring") or "").strip()


def _pickup_point(pairs: list[tuple[Element, TrackingEvent]]) -> PickupPoint | None:
    """The depot of the newest "waiting at a Pickup point" event is that Pickup point."""
    waiting = [(row, event) for row, event in pairs if event.status is Status.AVAILABLE_FOR_PICKUP]
    if not waiting:
        return None
    row, _ = max(waiting, key=lambda pair: pair[1].occurred_at)
    depot = _text(row, "depot")
    if not depot:
        return None
    return PickupPoint(id=depot, name=_text(row, "depotName"), country=_text(row, "country"))


def _text(row: Element, tag: str) -> str:
    return (row.findtext(tag) or "").strip()
