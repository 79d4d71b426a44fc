"""Packeta / Zásilkovna (CZ, SK, PL, ...) through the REST/XML API method `packetTracking`.

`POST {base}/api/rest` with `<packetTracking><apiPassword/><packetId/></packetTracking>`; the
answer is `<response><status>ok</status><result><record>...</record>...</result></response>` with
records {dateTime (Europe/Prague, no offset), statusCode, codeText, statusText, branchId,
destinationBranchId, externalTrackingCode}, or `<status>fault</status><fault>PacketIdFault</fault>`
with HTTP 200. `packetId` is the barcode without its leading "Z".
Verified against Packeta's method reference (as mirrored in public code), the public PHP/TS
clients and their status code lists (1-30, 999). XML is parsed with defusedxml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import register
from carriers.types import (
    CarrierFailure,
    ErrorKind,
    MalformedResponse,
    PickupPoint,
    Reason,
    Status,
    TrackingError,
)

_READY_FOR_PICKUP = "5"
_FAULTS = {
    "PacketIdFault": ErrorKind.NOT_FOUND,
    "IncorrectApiPasswordFault": ErrorKind.AUTH,
    "IncorrectApiPassword": ErrorKind.AUTH,
}
_TRANSIT = (Status.IN_TRANSIT, "")
_FAILED = (Status.FAILED_ATTEMPT, "")
_RETURNING = (Status.RETURNING_TO_SENDER, "")


@register
class PacketaAdapter(CarrierAdapter):
    """Packeta pickup points, Z-BOXes and partner-carrier home delivery."""

    code = "packeta"
    name = "Packeta"
    batch_size = 1
    timezone = "Europe/Prague"
    default_base_url = "https://www.zasilkovna.cz"
    tracking_url_template = "https://tracking.packeta.com/en/?id={number}"
    status_map = {
        "1": (Status.INFO_RECEIVED, ""),
        "2": _TRANSIT,
        "3": _TRANSIT,
        "4": _TRANSIT,
        "5": (Status.AVAILABLE_FOR_PICKUP, ""),
        "6": _TRANSIT,
        "7": (Status.DELIVERED, ""),
        "9": _RETURNING,
        "10": (Status.RETURNED_TO_SENDER, ""),
        "11": (Status.CANCELLED, ""),
        "12": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "14": (Status.IN_TRANSIT, Reason.CUSTOMS),
        "15": _TRANSIT,
        "16": _FAILED,
        "17": (Status.EXCEPTION, Reason.REFUSED),
        "18": (Status.EXCEPTION, Reason.REFUSED),
        "19": _RETURNING,
        "20": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
        # Cancelled by the e-shop after it was handed over: it physically travels back.
        "21": _RETURNING,
        "22": _RETURNING,
        "23": _FAILED,
        "24": _FAILED,
        "25": _FAILED,
        "26": (Status.EXCEPTION, ""),
        "27": _TRANSIT,
        "28": (Status.IN_TRANSIT, Reason.REDIRECTED),
        "29": (Status.IN_TRANSIT, Reason.REDIRECTED),
        "30": (Status.IN_TRANSIT, Reason.REDIRECTED),
        # Packeta's own "unknown": known code without status information.
        "999": (None, ""),
    }

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """POST the packetTracking XML call; the API password travels in the body, as Packeta requires."""
        packet_id = numbers[0].removeprefix("Z")
        body = (
            "<packetTracking>"
            f"<apiPassword>{escape(self.config.api_key)}</apiPassword>"
            f"<packetId>{escape(packet_id)}</packetId>"
            "</packetTracking>"
        )
        return self.make_request(
            "POST", "/api/rest", content=body.encode("utf-8"), headers={"Content-Type": "application/xml"}
        )

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """Faults come with HTTP 200 and are typed here; records become events."""
        number = numbers[0]
        root = self.xml_body(response)
        status = _text(root, "status")
        if status == "fault":
            raise CarrierFailure(_fault_error(root))
        if status != "ok":
            raise MalformedResponse(f"Packeta answered with status {status!r}")
        result = root.find("result")
        if result is None:
            raise MalformedResponse("Packeta answer has no <result>")
        records = result.findall("record")
        events = [
            self.event(
                self.parse_time(_text(record, "dateTime")),
                _text(record, "statusCode"),
                _text(record, "statusText"),
            )
            for record in records
        ]
        return {number: self.result(number, events, pickup_point=_pickup_point(records), raw=response.text)}


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _fault_error(root: ET.Element) -> TrackingError:
    fault = _text(root, "fault")
    message = _text(root, "string") or fault
    return TrackingError(_FAULTS.get(fault, ErrorKind.CARRIER_ERROR), f"Packeta {fault}: {message}")


def _pickup_point(records: list[ET.Element]) -> PickupPoint | None:
    """The destination branch, once the packet is ready for pickup there (before that it may change)."""
    ready = [record for record in records if _text(record, "statusCode") == _READY_FOR_PICKUP]
    if not ready:
        return None
    branch = _text(ready[-1], "destinationBranchId")
    return PickupPoint(id=branch) if branch else None
