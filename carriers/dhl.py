"""DHL through the Shipment Tracking - Unified API (all DHL divisions behind one endpoint).

`GET {base}/track/shipments?trackingNumber=N` with the `DHL-API-Key` header, one number per call.
Errors are problem JSON (404 "No shipment with given tracking number found.", 401, 429). DHL's
`statusCode` has five values only (pre-transit, transit, delivered, failure, unknown); the finer
meaning (out for delivery, at a service point, customs, returned) is only in the event's texts, so
a phrasebook of DHL's whole wordings per language refines it (`PHRASEBOOK`); a sentence that merely
contains a known phrase ("... not out for delivery", "... to the international gateway") is not
one of them, keeps the statusCode's mapping and is counted for review.
Quota (250 calls/day initially, at most 10 fetches per shipment per day) is the engine's business.

Config: `api_key` is the DHL-API-Key; `extra["language"]` asks for the language of DHL's texts
(default "en"). DHL answers in it when the service has it; the answer's Content-Language says which
language it used, and that one's phrasings are tried first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.phrases import Phrasebook
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

_INFO = (Status.INFO_RECEIVED, "")
_TRANSIT = (Status.IN_TRANSIT, "")
_PICKED_UP = (Status.IN_TRANSIT, Reason.PICKED_UP)
_CUSTOMS = (Status.IN_TRANSIT, Reason.CUSTOMS)
_OUT = (Status.OUT_FOR_DELIVERY, "")
_PICKUP = (Status.AVAILABLE_FOR_PICKUP, "")
_DELIVERED = (Status.DELIVERED, "")
_FAILURE = (Status.EXCEPTION, "")
_ATTEMPT = (Status.FAILED_ATTEMPT, "")
_ABSENT = (Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT)
_REFUSED = (Status.FAILED_ATTEMPT, Reason.REFUSED)
_RETURNING = (Status.RETURNING_TO_SENDER, "")
_RETURNED = (Status.RETURNED_TO_SENDER, "")

# DHL's wordings per language and statusCode, read whole (see carriers.phrases): the event's
# description, or its status title when it has none. A wording not listed keeps the statusCode's own
# mapping and is counted for review. Patterns only absorb place names, and only where the wording
# confirms the statusCode's own status.
_PLACE = r"[\w ]+"
PHRASEBOOK = Phrasebook(
    {
        "en": {
            "pre-transit": {
                "pre-transit": _INFO,
                "Shipment information received": _INFO,
                "The instruction data for this shipment have been provided by the sender to DHL electronically": _INFO,
                "The instruction data for this shipment has been provided by the sender to DHL electronically": _INFO,
            },
            "transit": {
                "transit": _TRANSIT,
                "in transit": _TRANSIT,
                "processed": _TRANSIT,
                "Shipment picked up": _PICKED_UP,
                "Shipment delay: the shipment could not be forwarded as planned": (Status.IN_TRANSIT, Reason.DELAYED),
                "The shipment has been picked up": _PICKED_UP,
                "The shipment has been posted by the sender at the retail outlet": _PICKED_UP,
                "The shipment has been processed in the parcel center": _TRANSIT,
                "The shipment has been processed in the parcel center of origin": _TRANSIT,
                "The shipment has been processed in the destination parcel center": _TRANSIT,
                "Customs clearance status updated": _CUSTOMS,
                "Customs clearance status updated. Note - The Customs clearance process may start while the "
                "shipment is in transit to the destination.": _CUSTOMS,
                "out for delivery": _OUT,
                "Shipment is out with courier for delivery": _OUT,
                "With delivery courier": _OUT,
                "The shipment has been loaded onto the delivery vehicle": _OUT,
                "ready for pickup": _PICKUP,
                "Awaiting collection by recipient as requested": _PICKUP,
                re.compile(
                    r"the shipment is ready for pick ?up at the "
                    r"(?:retail outlet|post office|parcel shop|parcel locker|packstation|service point)(?: \d+)?"
                ): _PICKUP,
                "return": _RETURNING,
                "Return to sender": _RETURNING,
                "The shipment is being returned to the sender": _RETURNING,
                "The shipment was not picked up and is being returned to the sender": _RETURNING,
                re.compile(rf"departed (?:from )?facility in {_PLACE}"): _TRANSIT,
                re.compile(rf"arrived at (?:dhl )?(?:sort|delivery) facility (?:in )?{_PLACE}"): _TRANSIT,
                re.compile(rf"processed at {_PLACE}"): _TRANSIT,
                re.compile(rf"transferred through {_PLACE}"): _TRANSIT,
                re.compile(rf"clearance processing complete at {_PLACE}"): _TRANSIT,
            },
            "delivered": {
                "delivered": _DELIVERED,
                "Delivered": _DELIVERED,
                "Shipment delivered": _DELIVERED,
                "The shipment has been delivered": _DELIVERED,
                "The shipment has been successfully delivered": _DELIVERED,
                re.compile(rf"delivered signed for by {_PLACE}"): _DELIVERED,
                "The shipment has been delivered back to the sender": _RETURNED,
                "The shipment has been returned to the sender": _RETURNED,
                "Returned to sender": _RETURNED,
            },
            "failure": {
                "failure": _FAILURE,
                "Delivery attempt failed": _ATTEMPT,
                "The shipment could not be delivered": _ATTEMPT,
                "Delivery attempt failed: the recipient was not at home": _ABSENT,
                "The recipient was not at home": _ABSENT,
                "The recipient has refused to accept the shipment": _REFUSED,
                "The shipment was refused by the recipient": _REFUSED,
                "The address is incorrect": (Status.EXCEPTION, Reason.ADDRESS_PROBLEM),
                "The shipment could not be delivered because the address is incorrect": (
                    Status.EXCEPTION,
                    Reason.ADDRESS_PROBLEM,
                ),
                "Storage period expired": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
                "The storage period has expired": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
                "The shipment was not picked up within the storage period": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
                "The shipment has been damaged": (Status.EXCEPTION, Reason.DAMAGED),
                "Return to sender": _RETURNING,
                "The shipment is being returned to the sender": _RETURNING,
            },
        },
        "de": {
            "pre-transit": {
                "Die Auftragsdaten zu dieser Sendung wurden vom Absender elektronisch an DHL übermittelt.": _INFO,
            },
            "transit": {
                "Die Sendung wurde vom Absender in der Filiale eingeliefert.": _PICKED_UP,
                "Die Sendung wurde abgeholt.": _PICKED_UP,
                "Die Sendung wurde im Paketzentrum bearbeitet.": _TRANSIT,
                "Die Sendung wurde im Start-Paketzentrum bearbeitet.": _TRANSIT,
                "Die Sendung wurde im Ziel-Paketzentrum bearbeitet.": _TRANSIT,
                "Die Sendung wurde in das Zustellfahrzeug geladen.": _OUT,
                re.compile(
                    r"die sendung liegt in der (?:filiale|postfiliale|packstation|paketshop)(?: \d+)? zur abholung bereit"
                ): _PICKUP,
                "Die Sendung wird an den Absender zurückgesandt.": _RETURNING,
                "Die Sendung wurde nicht abgeholt und wird an den Absender zurückgesandt.": _RETURNING,
            },
            "delivered": {
                "Die Sendung wurde erfolgreich zugestellt.": _DELIVERED,
                "Die Sendung wurde zugestellt.": _DELIVERED,
                "Die Sendung wurde an den Absender zurückgeliefert.": _RETURNED,
            },
            "failure": {
                "Die Sendung konnte nicht zugestellt werden.": _ATTEMPT,
                "Der Empfänger wurde nicht angetroffen.": _ABSENT,
                "Der Empfänger wurde nicht angetroffen. Die Sendung wird in eine Filiale gebracht.": _ABSENT,
                "Die Annahme der Sendung wurde verweigert.": _REFUSED,
                "Die Lagerfrist ist abgelaufen.": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
                "Die Sendung wurde beschädigt.": (Status.EXCEPTION, Reason.DAMAGED),
            },
        },
        "pl": {
            "pre-transit": {
                "Otrzymano informacje o przesyłce": _INFO,
            },
            "transit": {
                "Przesyłka odebrana": _PICKED_UP,
                "Przesyłka w drodze": _TRANSIT,
                "Przesyłka wydana kurierowi do doręczenia": _OUT,
                "Przesyłka przekazana kurierowi do doręczenia": _OUT,
                "Przesyłka gotowa do odbioru w punkcie": _PICKUP,
                "Przesyłka w odprawie celnej": _CUSTOMS,
                "Przesyłka zwracana do nadawcy": _RETURNING,
            },
            "delivered": {
                "Przesyłka doręczona": _DELIVERED,
                "Przesyłka zwrócona do nadawcy": _RETURNED,
            },
            "failure": {
                "Nieudana próba doręczenia": _ATTEMPT,
                "Nieudana próba doręczenia - odbiorca nieobecny": _ABSENT,
                "Odbiorca odmówił przyjęcia przesyłki": _REFUSED,
            },
        },
    }
)


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
    phrasebook = PHRASEBOOK

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
        answered = response.headers.get("Content-Language", "").split(",")[0].split("-")[0].strip().lower()
        languages = (answered, self.config.extra.get("language", "en"))
        return {number: self._result(number, shipment, body, languages)}

    def _result(self, number: str, shipment: Mapping[str, Any], body: Any, languages: Sequence[str]) -> TrackingResult:
        # DHL lists newest first; oldest first keeps same-minute events in their real order.
        events = [self._event(raw, languages) for raw in reversed(shipment.get("events") or [])]
        if not events and shipment.get("status"):
            # Some divisions send only the current status; it is still an event with a time.
            events = [self._event(shipment["status"], languages)]
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

    def _event(self, raw: Mapping[str, Any], languages: Sequence[str]) -> TrackingEvent:
        status_code = raw.get("statusCode") or "unknown"
        # The description is DHL's sentence; the status title stands in when there is none.
        text = raw.get("description") or raw.get("status") or ""
        return self.event(
            self.parse_time(raw["timestamp"]),
            status_code,
            text,
            _location(raw.get("location")),
            languages=languages,
        )

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


def _location(location: Mapping[str, Any] | None) -> str:
    """Like "53113 Bonn, DE", leaving out the address parts DHL did not send."""
    address = (location or {}).get("address") or {}
    place = " ".join(part for part in (address.get("postalCode", ""), address.get("addressLocality", "")) if part)
    return ", ".join(part for part in (place, address.get("countryCode", "")) if part)
