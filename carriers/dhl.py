"""DHL through the Shipment Tracking - Unified API (all DHL divisions behind one endpoint).

`GET {base}/track/shipments?trackingNumber=N` with the `DHL-API-Key` header, one number per call.
Errors are problem JSON (404 "No shipment with given tracking number found.", 401, 429). DHL's
`statusCode` has five values only (pre-transit, transit, delivered, failure, unknown); the finer
meaning (out for delivery, at a service point, customs, returned) is only in the event's
`status`/`description`/`remark` texts, so a small table of phrases refines it (`REFINEMENTS`).
Quota (250 calls/day initially, at most 10 fetches per shipment per day) is the engine's business.

Config: `api_key` is the DHL-API-Key; `extra["language"]` picks the language of DHL's texts
(default "en", which the refinement phrases are written for).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import register
from carriers.types import (
    MalformedResponse,
    PickupPoint,
    ProofOfDelivery,
    Reason,
    Status,
    TrackingEvent,
    TrackingResult,
)

# Phrases that refine a statusCode, checked in order against the event's status, description and
# remark (lower-cased). First match wins; an event with no match keeps its statusCode's mapping.
REFINEMENTS: Mapping[str, tuple[tuple[str, Status, str], ...]] = {
    "transit": (
        ("out for delivery", Status.OUT_FOR_DELIVERY, ""),
        ("out with courier for delivery", Status.OUT_FOR_DELIVERY, ""),
        ("with delivery courier", Status.OUT_FOR_DELIVERY, ""),
        ("loaded onto the delivery vehicle", Status.OUT_FOR_DELIVERY, ""),
        ("ready for pickup", Status.AVAILABLE_FOR_PICKUP, ""),
        ("ready for collection", Status.AVAILABLE_FOR_PICKUP, ""),
        ("available for pick", Status.AVAILABLE_FOR_PICKUP, ""),
        ("returned to the sender", Status.RETURNING_TO_SENDER, ""),
        ("return to sender", Status.RETURNING_TO_SENDER, ""),
        ("customs", Status.IN_TRANSIT, Reason.CUSTOMS),
        ("shipment picked up", Status.IN_TRANSIT, Reason.PICKED_UP),
        ("delay", Status.IN_TRANSIT, Reason.DELAYED),
    ),
    "failure": (
        ("not at home", Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT),
        ("recipient not", Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT),
        ("delivery attempt", Status.FAILED_ATTEMPT, ""),
        ("refused", Status.FAILED_ATTEMPT, Reason.REFUSED),
        ("address", Status.EXCEPTION, Reason.ADDRESS_PROBLEM),
        ("storage period", Status.EXCEPTION, Reason.PICKUP_EXPIRED),
        ("damaged", Status.EXCEPTION, Reason.DAMAGED),
        ("returned to the sender", Status.RETURNING_TO_SENDER, ""),
        ("return to sender", Status.RETURNING_TO_SENDER, ""),
    ),
    "delivered": (
        ("delivered back to the sender", Status.RETURNED_TO_SENDER, ""),
        ("returned to sender", Status.RETURNED_TO_SENDER, ""),
    ),
}


@register
class DhlAdapter(CarrierAdapter):
    """DHL (Express, Parcel DE, eCommerce, ...) via the Shipment Tracking - Unified API."""

    code = "dhl"
    name = "DHL"
    batch_size = 1
    timezone = "Europe/Berlin"
    default_base_url = "https://api-eu.dhl.com"
    tracking_url_template = "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"
    status_map = {
        "pre-transit": (Status.INFO_RECEIVED, ""),
        "transit": (Status.IN_TRANSIT, ""),
        "delivered": (Status.DELIVERED, ""),
        "failure": (Status.EXCEPTION, ""),
        # DHL's own "we don't know"; says nothing about where the parcel is.
        "unknown": (None, ""),
    }

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """GET /track/shipments for the one number of the chunk."""
        params = {"trackingNumber": numbers[0], "language": self.config.extra.get("language", "en")}
        headers = {"DHL-API-Key": self.config.api_key, "Accept": "application/json"}
        return self.make_request("GET", "/track/shipments", params=params, headers=headers)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """The shipment matching the number (DHL may list one per division) as a result."""
        number = numbers[0]
        body = self.json_body(response)
        shipments = body["shipments"]
        if not isinstance(shipments, list):
            raise MalformedResponse("DHL `shipments` is not a list")
        if not shipments:
            return {}
        shipment = next((item for item in shipments if str(item.get("id")) == number), shipments[0])
        return {number: self._result(number, shipment, body)}

    def _result(self, number: str, shipment: Mapping[str, Any], body: Any) -> TrackingResult:
        # DHL lists newest first; oldest first keeps same-minute events in their real order.
        events = [self._event(raw) for raw in reversed(shipment.get("events") or [])]
        if not events and shipment.get("status"):
            # Some divisions send only the current status; it is still an event with a time.
            events = [self._event(shipment["status"])]
        eta_from, eta_to = self._eta(shipment)
        details = shipment.get("details") or {}
        product = (details.get("product") or {}).get("productName", "")
        return self.result(
            number,
            events,
            eta_from=eta_from,
            eta_to=eta_to,
            pickup_point=self._service_point(shipment),
            proof_of_delivery=self._proof_of_delivery(details),
            service=product or shipment.get("service", ""),
            raw=body,
        )

    def _event(self, raw: Mapping[str, Any]) -> TrackingEvent:
        status_code = raw.get("statusCode") or "unknown"
        text = raw.get("description") or raw.get("status") or ""
        event = self.event(self.parse_time(raw["timestamp"]), status_code, text, _location(raw.get("location")))
        refinement = _refine(status_code, raw)
        if refinement is None:
            return event
        status, reason = refinement
        return dataclasses.replace(event, status=status, reason=str(reason))

    def _eta(self, shipment: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
        frame = shipment.get("estimatedDeliveryTimeFrame") or {}
        if frame.get("estimatedFrom") or frame.get("estimatedThrough"):
            start = self.parse_time(frame["estimatedFrom"]) if frame.get("estimatedFrom") else None
            end = self.parse_time(frame["estimatedThrough"]) if frame.get("estimatedThrough") else None
            return start, end
        if shipment.get("estimatedTimeOfDelivery"):
            moment = self.parse_time(shipment["estimatedTimeOfDelivery"])
            return moment, moment
        return None, None

    def _service_point(self, shipment: Mapping[str, Any]) -> PickupPoint | None:
        destination = shipment.get("destination") or {}
        point = destination.get("servicePoint") or {}
        label = point.get("label", "")
        if not label:
            return None
        address = destination.get("address") or {}
        return PickupPoint(
            id=label,
            name=label,
            address=address.get("streetAddress", ""),
            postcode=address.get("postalCode", ""),
            city=address.get("addressLocality", ""),
            country=address.get("countryCode", ""),
            description=point.get("url", ""),
        )

    def _proof_of_delivery(self, details: Mapping[str, Any]) -> ProofOfDelivery | None:
        proof = details.get("proofOfDelivery") or {}
        if not proof:
            return None
        signed = proof.get("signed") or {}
        signed_by = signed.get("name") or " ".join(
            part for part in (signed.get("givenName", ""), signed.get("familyName", "")) if part
        )
        return ProofOfDelivery(
            signed_by=signed_by,
            timestamp=self.parse_time(proof["timestamp"]) if proof.get("timestamp") else None,
            signature_url=proof.get("signatureUrl", ""),
        )


def _refine(status_code: str, raw: Mapping[str, Any]) -> tuple[Status, str] | None:
    haystack = " ".join(str(raw.get(key) or "") for key in ("status", "description", "remark")).lower()
    for phrase, status, reason in REFINEMENTS.get(status_code, ()):
        if phrase in haystack:
            return status, reason
    return None


def _location(location: Mapping[str, Any] | None) -> str:
    """Like "53113 Bonn, DE", leaving out the address parts DHL did not send."""
    address = (location or {}).get("address") or {}
    place = " ".join(part for part in (address.get("postalCode", ""), address.get("addressLocality", "")) if part)
    return ", ".join(part for part in (place, address.get("countryCode", "")) if part)
