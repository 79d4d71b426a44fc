"""Orlen Paczka (PL) through its SOAP 1.1 web service, method GiveMePackStatusFullHistoryList.

Request: `POST {base}/WebServicePwRProd/WebServicePwR.asmx`, SOAPAction
`"https://91.242.220.103/WebServicePwR/GiveMePackStatusFullHistoryList"`, body with
`PackCodes/string*`, `PartnerID` (config.account), `PartnerKey` (config.api_key).
Answer: rows `{PackCode, Trans, Trans_Des, Data, Attribute}` anywhere in the body (plain objects
or a .NET DataSet), read by local element name.
`Attribute` POWROT / 2_POWROT marks the return leg, so the raw code becomes "POWROT:<Trans>".
Unknown pack codes simply have no rows (reported as not_found by the base class).

All facts are third-party (public PHP clients of the API); see CARRIERS.md. `Data` carries a "Z"
suffix; CARRIERS.md reads it as UTC while one public client claims it is Polish local time with
a meaningless "Z". We follow the offset as sent; naive values are read as Europe/Warsaw.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree
import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import register
from carriers.types import (
    CarrierFailure,
    ErrorKind,
    MalformedResponse,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
)

SOAP_NAMESPACE = "https://91.242.220.103/WebServicePwR"
SERVICE_PATH = "/WebServicePwRProd/WebServicePwR.asmx"
OPERATION = "GiveMePackStatusFullHistoryList"
RETURN_ATTRIBUTES = ("POWROT", "2_POWROT")
# Err values meaning success ("000" and "0" are the same number).
_OK_ERR_CODES = frozenset({0, 6, 7, 8})

_TRANSIT = (Status.IN_TRANSIT, "")
_RETURNING = (Status.RETURNING_TO_SENDER, "")
_FORWARD_MAP: dict[str, tuple[Status | None, str]] = {
    "200": (Status.INFO_RECEIVED, ""),
    "201": (Status.CANCELLED, ""),
    "100": _TRANSIT,
    "110": _TRANSIT,
    "210": (Status.IN_TRANSIT, Reason.PICKED_UP),
    "230": _TRANSIT,
    "240": _TRANSIT,
    "300": _TRANSIT,
    "400": _TRANSIT,
    "450": _TRANSIT,
    "610": _TRANSIT,
    "653": _TRANSIT,
    "660": _TRANSIT,
    "665": _TRANSIT,
    "670": _TRANSIT,
    "680": (Status.OUT_FOR_DELIVERY, ""),
    "685": (Status.OUT_FOR_DELIVERY, ""),
    "620": (Status.AVAILABLE_FOR_PICKUP, ""),
    "690": (Status.AVAILABLE_FOR_PICKUP, ""),
    "691": (Status.AVAILABLE_FOR_PICKUP, ""),
    "695": (Status.AVAILABLE_FOR_PICKUP, Reason.PICKUP_REMINDER),
    "696": (Status.AVAILABLE_FOR_PICKUP, ""),
    "700": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
    "709": (Status.RETURNING_TO_SENDER, Reason.PICKUP_EXPIRED),
    "729": (Status.RETURNING_TO_SENDER, Reason.ADDRESS_PROBLEM),
    "749": (Status.EXCEPTION, ""),
    "790": _RETURNING,
    "800": _RETURNING,
    "900": _RETURNING,
    "1000": (Status.DELIVERED, ""),
    "1100": (Status.RETURNED_TO_SENDER, ""),
    "1200": (Status.RETURNED_TO_SENDER, ""),
    "1220": (Status.RETURNED_TO_SENDER, ""),
    # Archived: bookkeeping, not a movement of the parcel.
    "888": (None, ""),
}
_RETURN_FINAL = ("1000", "1100", "1220")


def _status_map() -> dict[str, tuple[Status | None, str]]:
    """Forward codes, plus each code on the return leg: collected there means back at the sender."""
    mapping = dict(_FORWARD_MAP)
    for attribute in RETURN_ATTRIBUTES:
        for code in _FORWARD_MAP:
            final = code in _RETURN_FINAL
            mapping[f"{attribute}:{code}"] = (Status.RETURNED_TO_SENDER if final else Status.RETURNING_TO_SENDER, "")
    return mapping


@register
class OrlenPaczkaAdapter(CarrierAdapter):
    """Orlen Paczka pickup points and lockers (formerly Paczka w Ruchu)."""

    code = "orlen"
    name = "Orlen Paczka"
    # The method takes up to 1000 codes; 100 keeps each answer well inside the request timeout.
    batch_size = 100
    timezone = "Europe/Warsaw"
    default_base_url = "https://api.orlenpaczka.pl"
    tracking_url_template = "https://www.orlenpaczka.pl/sledz-paczke/?numer={number}"
    status_map = _status_map()
    family_map = {f"{attribute}:": _RETURNING for attribute in RETURN_ATTRIBUTES}

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """A SOAP 1.1 envelope with the pack codes and partner credentials."""
        codes = "".join(f"<string>{escape(number)}</string>" for number in numbers)
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<soap:Body><{OPERATION} xmlns="{SOAP_NAMESPACE}">'
            f"<PackCodes>{codes}</PackCodes>"
            f"<PartnerID>{escape(self.config.account)}</PartnerID>"
            f"<PartnerKey>{escape(self.config.api_key)}</PartnerKey>"
            f"</{OPERATION}></soap:Body></soap:Envelope>"
        )
        return self.make_request(
            "POST",
            SERVICE_PATH,
            content=envelope.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_NAMESPACE}/{OPERATION}"'},
        )

    def classify_response(self, response: httpx.Response) -> TrackingError | None:
        """A SOAP fault arrives as HTTP 500 but is a refusal, not an outage: do not retry it."""
        fault = _fault_string(response) if response.status_code == 500 else None
        if fault is not None:
            return TrackingError(ErrorKind.CARRIER_ERROR, f"Orlen Paczka SOAP fault: {fault}", None, 500)
        return super().classify_response(response)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """Group history rows by PackCode; a body with only an error row fails the chunk."""
        root = self.xml_body(response)
        rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in _rows(root, "Trans"):
            rows[row.get("PackCode", "")].append(row)
        if not rows:
            _raise_on_error_row(root)
        return {
            number: self.parse_guarded(number, partial(self._result, number, number_rows, response.text))
            for number, number_rows in rows.items()
            if number in numbers
        }

    def _result(self, number: str, rows: list[dict[str, str]], raw: str) -> TrackingResult:
        return self.result(number, [self._event(row) for row in rows], raw=raw)

    def _event(self, row: Mapping[str, str]) -> TrackingEvent:
        trans = row["Trans"]
        attribute = row.get("Attribute", "").upper()
        raw_code = f"{attribute}:{trans}" if attribute else trans
        return self.event(self.parse_time(row["Data"]), raw_code, row.get("Trans_Des", ""))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rows(root: ET.Element, key: str) -> list[dict[str, str]]:
    """Each parent of a `key` element as {child local name: text}, whatever the namespaces."""
    found = []
    for parent in root.iter():
        children = list(parent)
        if any(_local(child.tag) == key for child in children):
            found.append({_local(child.tag): (child.text or "").strip() for child in children if len(child) == 0})
    return found


def _fault_string(response: httpx.Response) -> str | None:
    """The faultstring of a SOAP fault body, or None when the body is something else (a real outage)."""
    try:
        root = defusedxml.ElementTree.fromstring(response.content)
    except (ET.ParseError, defusedxml.DefusedXmlException):
        return None
    for element in root.iter():
        if _local(element.tag) == "Fault":
            return " ".join(element.findtext("faultstring", "").split()) or "no faultstring"
    return None


def _raise_on_error_row(root: ET.Element) -> None:
    for row in _rows(root, "Err"):
        code = row.get("Err", "0") or "0"
        if int(code) not in _OK_ERR_CODES:
            description = row.get("ErrDes") or "no description"
            raise CarrierFailure(TrackingError(ErrorKind.CARRIER_ERROR, f"Orlen Paczka error {code}: {description}"))
    if not any(_local(element.tag) == f"{OPERATION}Result" for element in root.iter()):
        raise MalformedResponse(f"Orlen Paczka answer has no {OPERATION}Result")
