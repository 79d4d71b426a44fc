"""GLS through GLS Group's Track And Trace API v1 (OAuth 2.0 client credentials).

Token: `POST {base}/oauth2/v2/token` (Basic client id:secret, `grant_type=client_credentials`).
Tracking: `GET {base}/track-and-trace-v1/tracking/simple/trackids/{n1,n2,...}` with at most 10
numbers per call. Each entry of `parcels` names the `requested` number (which may differ from GLS's
`unitno`, e.g. a 12-digit number with its check digit) and either events or a per-parcel
`errorCode` (E_404_01 = not found). Times carry offsets (`2024-10-07T10:46:14+0200`).

Event codes are `FAMILY.VARIANT` (INTIAL.PREADVICE, DELIVD.PARCELSHOP, ...). The parcel-level status
enum is documented by GLS; event codes are only partly published, so unknown variants fall back to
their family, and families that would close a shipment (delivered, cancelled) have no fallback.

Config: `username` is the client id, `password` the client secret; `extra["language"]` is sent as
Accept-Language (default "EN").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from carriers._oauth import OAuthClientCredentials
from carriers.base import Outcome
from carriers.registry import register
from carriers.types import ErrorKind, PickupPoint, Reason, Status, TrackingError, TrackingResult

# Per-parcel error codes of the T&T API (ParcelErrorCodeDTO).
PARCEL_ERRORS: Mapping[str, ErrorKind] = {
    "E_404_01": ErrorKind.NOT_FOUND,
    "E_400_01": ErrorKind.INVALID_NUMBER,
    "E_500_01": ErrorKind.TRANSIENT,
}


@register
class GlsAdapter(OAuthClientCredentials):
    """GLS via GLS Group's Track And Trace API v1."""

    code = "gls"
    name = "GLS"
    batch_size = 10
    timezone = "Europe/Berlin"
    default_base_url = "https://api.gls-group.net"
    tracking_url_template = "https://gls-group.com/track/{number}"
    oauth_endpoint = "/oauth2/v2/token"
    status_map = {
        "INTIAL.PREADVICE": (Status.INFO_RECEIVED, ""),
        "INTIAL.E48_DATA": (Status.INFO_RECEIVED, ""),  # sender announced the parcel for collection
        "INTIAL.NORMAL": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "INBOUD.NORMAL": (Status.IN_TRANSIT, ""),
        "OUTBOD.NORMAL": (Status.IN_TRANSIT, ""),
        "OUTDEL.NORMAL": (Status.OUT_FOR_DELIVERY, ""),
        "DELIVD.NORMAL": (Status.DELIVERED, ""),
        "DELIVD.PARCELSHOP": (Status.AVAILABLE_FOR_PICKUP, ""),
        "DELIVD.DEL_BY_PSAPP": (Status.DELIVERED, ""),  # handed out at the ParcelShop
        "NOTDEL.ABSENT": (Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT),
        "CANCEL.NORMAL": (Status.CANCELLED, ""),
        "CHANGD.MONEWADDR": (Status.IN_TRANSIT, Reason.REDIRECTED),
        "CHANGD.PARCELBOX": (Status.IN_TRANSIT, Reason.REDIRECTED),
    }
    family_map = {
        "INTIAL.": (Status.INFO_RECEIVED, ""),
        "INBOUD.": (Status.IN_TRANSIT, ""),
        "OUTBOD.": (Status.IN_TRANSIT, ""),
        "OUTDEL.": (Status.OUT_FOR_DELIVERY, ""),
        "NOTDEL.": (Status.FAILED_ATTEMPT, ""),
        "CHANGD.": (Status.IN_TRANSIT, Reason.REDIRECTED),
    }

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """One GET for up to 10 numbers, comma-separated in the path."""
        path = "/track-and-trace-v1/tracking/simple/trackids/" + ",".join(quote(n, safe="") for n in numbers)
        headers = {
            **self.bearer_headers(),
            "Accept-Language": self.config.extra.get("language", "EN"),
        }
        return self.make_request("GET", path, params={"showEvents": "true"}, headers=headers)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """One outcome per requested number; a bad entry spoils only its own number."""
        body = self.json_body(response)
        outcomes: dict[str, Outcome] = {}
        for parcel in body["parcels"]:
            number = str(parcel.get("requested") or parcel.get("unitno") or "")
            # A reference can match several parcels; the first one answers for the number.
            if number in numbers and number not in outcomes:
                outcomes[number] = self.parse_guarded(number, lambda p=parcel, n=number: self._outcome(n, p))
        return outcomes

    def _outcome(self, number: str, parcel: Mapping[str, Any]) -> Outcome:
        error_code = parcel.get("errorCode")
        if error_code:
            kind = PARCEL_ERRORS.get(error_code, ErrorKind.CARRIER_ERROR)
            return TrackingError(kind, f"GLS {error_code}: {parcel.get('errorMessage', '')}".strip())
        return self._result(number, parcel)

    def _result(self, number: str, parcel: Mapping[str, Any]) -> TrackingResult:
        events = []
        pickup_point = None
        # GLS lists newest first; oldest first keeps same-second events in their real order.
        for raw in reversed(parcel.get("events") or []):
            event = self.event(
                self.parse_time(raw["eventDateTime"]), raw["code"], raw.get("description", ""), _location(raw)
            )
            events.append(event)
            if raw["code"] == "DELIVD.PARCELSHOP" and raw.get("city"):
                # T&T names only the shop's town; its id needs the Delivery Info API and the
                # original postal code, which a tracking poll does not have.
                pickup_point = PickupPoint(
                    id="", postcode=raw.get("postalCode", ""), city=raw["city"], country=raw.get("country", "")
                )
        return self.result(number, events, pickup_point=pickup_point, raw=parcel)


def _location(raw: Mapping[str, Any]) -> str:
    place = " ".join(part for part in (raw.get("postalCode", ""), raw.get("city", "")) if part)
    return ", ".join(part for part in (place, raw.get("country", "")) if part)
