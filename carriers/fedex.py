"""FedEx through the Track API (OAuth 2.0 client credentials), several numbers per request.

Token: `POST {base}/oauth/token` with `grant_type`, `client_id`, `client_secret` in the form.
Tracking: `POST {base}/track/v1/trackingnumbers` with up to 30 `trackingInfo` entries (FedEx's
documented maximum). Each `completeTrackResults` entry names its `trackingNumber`; its
`trackResults` carry `scanEvents` (newest first, times with offsets), `latestStatusDetail`,
`dateAndTimes` (ESTIMATED_DELIVERY, ACTUAL_DELIVERY, ...), `estimatedDeliveryTimeWindow`,
`holdAtLocation` and `deliveryDetails`, or a per-number `error` (TRACKING.TRACKINGNUMBER.NOTFOUND).

Config: `username` is the API key (client id), `password` the secret key; `extra["locale"]`
(default "en_US"), `extra["timezone"]` for the rare time without an offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from carriers._oauth import OAuthClientCredentials
from carriers.base import Outcome
from carriers.registry import register
from carriers.types import (
    ErrorKind,
    PickupPoint,
    ProofOfDelivery,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
)

# Per-number error codes inside an otherwise successful answer.
NUMBER_ERRORS: Mapping[str, ErrorKind] = {
    "TRACKING.TRACKINGNUMBER.NOTFOUND": ErrorKind.NOT_FOUND,
    "TRACKING.TRACKINGNUMBER.INVALID": ErrorKind.INVALID_NUMBER,
    "TRACKING.TRACKINGNUMBER.EMPTY": ErrorKind.INVALID_NUMBER,
}

_ON_THE_WAY = (Status.IN_TRANSIT, "")
_CUSTOMS = (Status.IN_TRANSIT, Reason.CUSTOMS)
_DELAY = (Status.IN_TRANSIT, Reason.DELAYED)
_NOTE = (None, "")


@register
class FedexAdapter(OAuthClientCredentials):
    """FedEx via the Track API, up to 30 numbers per call."""

    code = "fedex"
    name = "FedEx"
    batch_size = 30
    # Only for a time without an offset; FedEx normally sends offsets.
    timezone = "Europe/Warsaw"
    timezone_from_config = True
    default_base_url = "https://apis.fedex.com"
    tracking_url_template = "https://www.fedex.com/fedextrack/?trknbr={number}"
    oauth_endpoint = "/oauth/token"
    credentials_in_body = True
    # FedEx "Tracking Status Codes" (scanEvents[].eventType).
    status_map = {
        "OC": (Status.INFO_RECEIVED, ""),  # order created
        "EP": (Status.INFO_RECEIVED, ""),  # enroute to pickup
        "PU": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "PX": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "AP": (Status.IN_TRANSIT, Reason.PICKED_UP),  # at pickup
        "AA": _ON_THE_WAY,
        "AC": _ON_THE_WAY,
        "AF": _ON_THE_WAY,
        "AO": _ON_THE_WAY,
        "AR": _ON_THE_WAY,
        "AX": _ON_THE_WAY,
        "DP": _ON_THE_WAY,
        "DR": _ON_THE_WAY,
        "DS": _ON_THE_WAY,
        "EA": _ON_THE_WAY,  # enroute to airport / export approved
        "EO": _ON_THE_WAY,
        "FD": _ON_THE_WAY,
        "IT": _ON_THE_WAY,
        "IX": _ON_THE_WAY,
        "LO": _ON_THE_WAY,
        "OF": _ON_THE_WAY,
        "Ow": _ON_THE_WAY,
        "OX": _ON_THE_WAY,  # handed to USPS for the last mile
        "PF": _ON_THE_WAY,
        "PL": _ON_THE_WAY,
        "PM": _ON_THE_WAY,
        "SF": _ON_THE_WAY,
        "TR": _ON_THE_WAY,
        "CH": (Status.IN_TRANSIT, Reason.REDIRECTED),  # location changed
        "CC": _CUSTOMS,
        "CD": _CUSTOMS,
        "CP": _CUSTOMS,
        "DD": _DELAY,
        "DY": _DELAY,
        "PD": _DELAY,
        "AD": (Status.OUT_FOR_DELIVERY, ""),
        "ED": (Status.OUT_FOR_DELIVERY, ""),
        "OD": (Status.OUT_FOR_DELIVERY, ""),
        "HL": (Status.AVAILABLE_FOR_PICKUP, ""),
        "HP": (Status.AVAILABLE_FOR_PICKUP, ""),
        "DE": (Status.FAILED_ATTEMPT, ""),
        "SE": (Status.EXCEPTION, ""),
        "DL": (Status.DELIVERED, ""),
        "RS": (Status.RETURNING_TO_SENDER, ""),
        "CA": (Status.CANCELLED, ""),
        # Delivery-option requests and return-label bookkeeping: nothing moved.
        "RR": _NOTE,
        "RM": _NOTE,
        "RC": _NOTE,
        "RP": _NOTE,
        "LP": _NOTE,
        "RG": _NOTE,
        "RD": _NOTE,
        "SP": _NOTE,
    }

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """One POST asking for every number of the chunk, with detailed scans."""
        payload = {
            "includeDetailedScans": True,
            "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}} for number in numbers],
        }
        headers = {
            **self.bearer_headers(),
            "X-locale": self.config.extra.get("locale", "en_US"),
        }
        return self.make_request("POST", "/track/v1/trackingnumbers", json_body=payload, headers=headers)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """One outcome per number; an entry FedEx could not answer fails only its own number."""
        body = self.json_body(response)
        outcomes: dict[str, Outcome] = {}
        for entry in body["output"]["completeTrackResults"]:
            number = str(entry.get("trackingNumber", ""))
            if number in numbers:
                outcomes[number] = self.parse_guarded(number, lambda e=entry, n=number: self._outcome(n, e))
        return outcomes

    def _outcome(self, number: str, entry: Mapping[str, Any]) -> Outcome:
        results = entry["trackResults"]
        usable = [result for result in results if not result.get("error")]
        if not usable:
            error = results[0]["error"]
            code = error.get("code", "")
            return TrackingError(
                NUMBER_ERRORS.get(code, ErrorKind.CARRIER_ERROR), f"FedEx {code}: {error.get('message', '')}"
            )
        # Duplicate numbers (reused after years) come as several results; the latest activity wins.
        parsed = [self._result(number, result) for result in usable]
        return max(parsed, key=_last_activity)

    def _result(self, number: str, track: Mapping[str, Any]) -> TrackingResult:
        # FedEx lists newest first; oldest first keeps same-second scans in their real order.
        events = [self._event(scan) for scan in reversed(track.get("scanEvents") or [])]
        eta_from, eta_to = self._eta(track)
        return self.result(
            number,
            events,
            eta_from=eta_from,
            eta_to=eta_to,
            pickup_point=self._pickup_point(track, events),
            proof_of_delivery=self._proof_of_delivery(track),
            service=(track.get("serviceDetail") or {}).get("description", ""),
            raw=track,
        )

    def _event(self, scan: Mapping[str, Any]) -> TrackingEvent:
        # An exception scan's own description says what went wrong; the event text is generic.
        text = scan.get("exceptionDescription") or scan.get("eventDescription") or ""
        return self.event(
            self.parse_time(scan["date"]), scan["eventType"], text, _place(scan.get("scanLocation") or {})
        )

    def _pickup_point(self, track: Mapping[str, Any], events: list[TrackingEvent]) -> PickupPoint | None:
        # holdAtLocation also appears when holding is merely offered; only a hold scan makes it real.
        if not any(event.status is Status.AVAILABLE_FOR_PICKUP for event in events):
            return None
        return _hold_location(track.get("holdAtLocation") or {})

    def _eta(self, track: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
        window = (track.get("estimatedDeliveryTimeWindow") or {}).get("window") or {}
        if window.get("begins") or window.get("ends"):
            begins = self.parse_time(window["begins"]) if window.get("begins") else None
            ends = self.parse_time(window["ends"]) if window.get("ends") else None
            return begins, ends
        estimate = _date_and_time(track, "ESTIMATED_DELIVERY")
        if estimate:
            moment = self.parse_time(estimate)
            return moment, moment
        return None, None

    def _proof_of_delivery(self, track: Mapping[str, Any]) -> ProofOfDelivery | None:
        delivered_at = _date_and_time(track, "ACTUAL_DELIVERY")
        details = track.get("deliveryDetails") or {}
        signed_by = details.get("signedByName") or details.get("receivedByName") or ""
        if not delivered_at and not signed_by:
            return None
        return ProofOfDelivery(signed_by=signed_by, timestamp=self.parse_time(delivered_at) if delivered_at else None)


def _last_activity(result: TrackingResult) -> tuple[bool, datetime]:
    latest = result.latest_event
    return (latest is not None, latest.occurred_at if latest is not None else datetime.min.replace(tzinfo=UTC))


def _date_and_time(track: Mapping[str, Any], kind: str) -> str:
    return next((item.get("dateTime", "") for item in track.get("dateAndTimes") or [] if item.get("type") == kind), "")


def _hold_location(location: Mapping[str, Any]) -> PickupPoint | None:
    place = location.get("locationContactAndAddress") or {}
    address = place.get("address") or {}
    if not location.get("locationId") and not address:
        return None
    return PickupPoint(
        id=location.get("locationId", ""),
        name=(place.get("contact") or {}).get("companyName", ""),
        address=", ".join(address.get("streetLines") or []),
        postcode=address.get("postalCode", ""),
        city=address.get("city", ""),
        country=address.get("countryCode", ""),
    )


def _place(address: Mapping[str, Any]) -> str:
    town = ", ".join(part for part in (address.get("city", ""), address.get("stateOrProvinceCode", "")) if part)
    return ", ".join(part for part in (town, address.get("countryCode", "")) if part)
