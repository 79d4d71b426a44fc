"""UPS through the Track API v1 (OAuth 2.0 client credentials).

Token: `POST {base}/security/v1/oauth/token` (Basic client id:secret). Tracking:
`GET {base}/api/track/v1/details/{inquiryNumber}` with `transId` and `transactionSrc` headers, one
number per call. Each activity has `status.type` (D, I, M, MV, X, ...), a two-character
`status.code`, a three-digit `status.statusCode` (UPS's "Status/Description Codes") and local
`date`/`time` plus `gmtDate`/`gmtTime`/`gmtOffset`. Mapping tries the code first (OT/OD/OF mean out
for delivery whatever the type says), then the status code, then falls back to the type as the
family. Unknown numbers answer 200 with warning TW0001 or 404 with `response.errors`.

Config: `username` is the client id, `password` the client secret; `extra["locale"]` (default
"en_US"), `extra["merchant_id"]` (sent as x-merchant-id on the token call), `extra["timezone"]` for
activities without GMT fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx

from carriers._oauth import OAuthClientCredentials
from carriers.base import Outcome
from carriers.registry import register
from carriers.types import (
    ErrorKind,
    MalformedResponse,
    PickupPoint,
    ProofOfDelivery,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
)

_ON_THE_WAY = (Status.IN_TRANSIT, "")
_OUT = (Status.OUT_FOR_DELIVERY, "")
_ATTEMPT = (Status.FAILED_ATTEMPT, "")
_DELAY = (Status.IN_TRANSIT, Reason.DELAYED)
_CUSTOMS = (Status.IN_TRANSIT, Reason.CUSTOMS)
_REDIRECT = (Status.IN_TRANSIT, Reason.REDIRECTED)
_NOTE = (None, "")

# UPS "Status/Description Codes" (activity status.statusCode), keyed without leading zeros.
STATUS_CODES: Mapping[str, tuple[Status | None, str]] = {
    "0": _NOTE,
    "3": (Status.INFO_RECEIVED, ""),
    "5": _ON_THE_WAY,
    "6": _OUT,
    "7": (Status.CANCELLED, ""),
    "10": _ON_THE_WAY,
    "11": (Status.DELIVERED, ""),
    "12": _CUSTOMS,
    "13": (Status.EXCEPTION, ""),
    "14": _CUSTOMS,
    "16": _ON_THE_WAY,
    "17": (Status.AVAILABLE_FOR_PICKUP, ""),
    "18": _REDIRECT,
    "19": _DELAY,
    "20": _DELAY,
    "21": _OUT,
    "22": _ATTEMPT,
    "23": _ATTEMPT,
    "24": _ATTEMPT,
    "25": _ON_THE_WAY,
    "26": (Status.DELIVERED, ""),
    "27": _REDIRECT,
    "28": _REDIRECT,
    "29": (Status.EXCEPTION, ""),
    "30": (Status.EXCEPTION, ""),
    "32": _DELAY,
    "33": _NOTE,
    "34": (Status.RETURNED_TO_SENDER, ""),
    "35": (Status.RETURNING_TO_SENDER, ""),
    "36": (Status.RETURNING_TO_SENDER, ""),
    "37": _OUT,
    "38": (Status.IN_TRANSIT, Reason.PICKED_UP),
    "39": _ON_THE_WAY,
    "40": (Status.AVAILABLE_FOR_PICKUP, ""),
    "41": _NOTE,
    "42": _NOTE,
    "43": _NOTE,
    "44": _ON_THE_WAY,
    "45": _ON_THE_WAY,
    "46": _DELAY,
    "47": _ON_THE_WAY,
    "48": _DELAY,
    "49": (Status.EXCEPTION, ""),
    "50": (Status.EXCEPTION, Reason.ADDRESS_PROBLEM),
    "51": _DELAY,
    "52": _DELAY,
    "53": _DELAY,
    "54": _NOTE,
    "55": _DELAY,
    "56": _NOTE,
    "57": _REDIRECT,
    "58": (Status.EXCEPTION, Reason.CUSTOMS),
    "59": (Status.EXCEPTION, Reason.DAMAGED),
    "60": _ATTEMPT,
    "61": _ATTEMPT,
    "62": _ATTEMPT,
    "63": _NOTE,
    "64": (Status.FAILED_ATTEMPT, Reason.REFUSED),
    "65": _NOTE,
    "66": _ATTEMPT,
    "67": (Status.RETURNED_TO_SENDER, ""),
    "68": (Status.EXCEPTION, Reason.LOST),
    "69": (Status.EXCEPTION, ""),
    "70": _ON_THE_WAY,
    "71": _ON_THE_WAY,
    "72": _OUT,
    "73": _ON_THE_WAY,
    "74": _ON_THE_WAY,
    "75": _ON_THE_WAY,
    "76": (Status.EXCEPTION, ""),
    "77": (Status.INFO_RECEIVED, ""),
    "78": _OUT,
    "79": (Status.INFO_RECEIVED, ""),
    "80": (Status.INFO_RECEIVED, ""),
    "81": (Status.RETURNING_TO_SENDER, Reason.DAMAGED),
    "82": _NOTE,
    "83": _DELAY,
    "84": _CUSTOMS,
    "85": (Status.EXCEPTION, ""),
    "86": _DELAY,
    "87": _ON_THE_WAY,
    "88": _NOTE,
    "89": _OUT,
    "90": _DELAY,
    "91": _OUT,
    "92": _CUSTOMS,
    "100": _REDIRECT,
    "118": (Status.RETURNING_TO_SENDER, ""),
}

# Activity types (UPS "Package Activity Types"): the family of every activity.
ACTIVITY_TYPES: Mapping[str, tuple[Status | None, str]] = {
    "D": (Status.DELIVERED, ""),
    "I": _ON_THE_WAY,
    "M": (Status.INFO_RECEIVED, ""),
    "MV": (Status.CANCELLED, ""),
    "X": (Status.EXCEPTION, ""),
    "DO": _ON_THE_WAY,
    "DD": _ON_THE_WAY,
    "W": _ON_THE_WAY,
    "NA": _NOTE,
    "U": _NOTE,
}

# UPS warning/error codes meaning "this number is unknown or wrong".
NUMBER_ERRORS: Mapping[str, ErrorKind] = {
    "TW0001": ErrorKind.NOT_FOUND,
    "TV1002": ErrorKind.INVALID_NUMBER,
}

# deliveryTime types that describe a window on the scheduled day.
_WINDOW_TYPES = frozenset({"EDW", "CDW", "IDW"})


@register
class UpsAdapter(OAuthClientCredentials):
    """UPS via the Track API v1."""

    code = "ups"
    name = "UPS"
    batch_size = 1
    # Only for activities without GMT fields; most deployments track parcels scanned in Central Europe.
    timezone = "Europe/Warsaw"
    timezone_from_config = True
    default_base_url = "https://onlinetools.ups.com"
    tracking_url_template = "https://www.ups.com/track?tracknum={number}"
    oauth_endpoint = "/security/v1/oauth/token"
    # Two-character activity codes that outrank the activity type.
    status_map = {
        "OT": _OUT,
        "OD": _OUT,
        "OF": _OUT,
        "MP": (Status.INFO_RECEIVED, ""),  # manifest: billing information received
        "RD": (Status.INFO_RECEIVED, ""),  # manifest: label created, Roadie has not received it
        "VP": (Status.CANCELLED, ""),  # manifest cancelled and shipment voided
        "PX": _NOTE,  # delivery photo
        "UP": _NOTE,  # updated delivery date
        "UT": _NOTE,  # updated delivery time
    }
    not_found_http_statuses = frozenset()

    def token_request_headers(self) -> Mapping[str, str]:
        """UPS scopes tokens to a merchant (shipper) id when one is configured."""
        merchant_id = self.config.extra.get("merchant_id", "")
        return {"x-merchant-id": merchant_id} if merchant_id else {}

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """GET the details of the one number of the chunk."""
        headers = {
            **self.bearer_headers(),
            "transId": uuid.uuid4().hex,
            "transactionSrc": "parcelfront",
        }
        params = {"locale": self.config.extra.get("locale", "en_US"), "returnSignature": "false"}
        return self.make_request(
            "GET", f"/api/track/v1/details/{quote(numbers[0], safe='')}", params=params, headers=headers
        )

    def classify_response(self, response: httpx.Response) -> TrackingError | None:
        """404/400 carry `response.errors`; unknown and invalid numbers are told apart by code."""
        if response.status_code in (400, 404):
            for code, message in _errors(response):
                if code in NUMBER_ERRORS:
                    return TrackingError(NUMBER_ERRORS[code], f"UPS {code}: {message}", None, response.status_code)
            if response.status_code == 404:
                return TrackingError(ErrorKind.NOT_FOUND, f"not found: {self.describe_response(response)}", None, 404)
        return super().classify_response(response)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """The package answering the number, or the number's warning as an error."""
        number = numbers[0]
        body = self.json_body(response)
        shipment = body["trackResponse"]["shipment"][0]
        packages = shipment.get("package") or []
        if not packages:
            for warning in shipment.get("warnings") or []:
                kind = NUMBER_ERRORS.get(warning.get("code", ""), ErrorKind.CARRIER_ERROR)
                return {number: TrackingError(kind, f"UPS {warning.get('code')}: {warning.get('message', '')}")}
            raise MalformedResponse("UPS shipment has neither packages nor warnings")
        package = next((p for p in packages if p.get("trackingNumber") == number), packages[0])
        return {number: self._result(number, package, body)}

    def _result(self, number: str, package: Mapping[str, Any], body: Any) -> TrackingResult:
        # UPS lists the most recent activity first; oldest first keeps same-second scans in order.
        scans = [(activity, self._event(activity)) for activity in reversed(package.get("activity") or [])]
        events = [event for _, event in scans]
        eta_from, eta_to = self._eta(package)
        service = (package.get("service") or {}).get("description", "")
        return self.result(
            number,
            events,
            eta_from=eta_from,
            eta_to=eta_to,
            pickup_point=_pickup_point(scans),
            proof_of_delivery=self._proof_of_delivery(package, events),
            service=service,
            raw=body,
        )

    def _event(self, activity: Mapping[str, Any]) -> TrackingEvent:
        status = activity.get("status") or {}
        code = status.get("code", "")
        status_code = status.get("statusCode") or ""
        if status_code.isdigit():
            status_code = str(int(status_code))  # "011" in answers, "11" in UPS's code list
        kind = status.get("type", "")
        raw_code = code or status_code or kind
        occurred_at = self._activity_time(activity)
        if code in self.status_map:
            mapping, mapped = self.status_map[code], True
        elif status_code in STATUS_CODES:
            mapping, mapped = STATUS_CODES[status_code], True
        else:
            self.map_status(raw_code)  # logs the unmapped code for the mapping to be completed
            mapping, mapped = ACTIVITY_TYPES.get(kind, _NOTE), False
        return TrackingEvent(
            occurred_at=occurred_at,
            status=mapping[0],
            reason=str(mapping[1]),
            raw_code=raw_code,
            text=(status.get("description") or "").strip(),
            location=_location((activity.get("location") or {}).get("address") or {}),
            mapped=mapped,
        )

    def _activity_time(self, activity: Mapping[str, Any]) -> datetime:
        if activity.get("gmtDate") and activity.get("gmtTime"):
            moment = _date_time(activity["gmtDate"], activity["gmtTime"]).replace(tzinfo=UTC)
            offset = _offset(activity.get("gmtOffset", ""))
            return moment.astimezone(offset) if offset is not None else moment
        if not activity.get("date"):
            raise MalformedResponse("UPS activity without a date")
        return self.parse_time(_date_time(activity["date"], activity.get("time", "000000")))

    def _eta(self, package: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
        dates = {entry.get("type"): entry.get("date") for entry in package.get("deliveryDate") or []}
        if dates.get("DEL"):
            return None, None
        day = dates.get("RDD") or dates.get("SDD")  # a rescheduled date replaces the scheduled one
        if not day:
            return None, None
        window = package.get("deliveryTime") or {}
        start, end = time(0, 0), time(23, 59, 59)
        if window.get("type") in _WINDOW_TYPES and window.get("startTime") and window.get("endTime"):
            start, end = _clock(window["startTime"]), _clock(window["endTime"])
        elif window.get("type") == "CMT" and window.get("endTime"):
            end = _clock(window["endTime"])
        base = _date_time(day, "000000")
        return (
            self.parse_time(datetime.combine(base.date(), start)),
            self.parse_time(datetime.combine(base.date(), end)),
        )

    def _proof_of_delivery(self, package: Mapping[str, Any], events: list[TrackingEvent]) -> ProofOfDelivery | None:
        info = package.get("deliveryInformation") or {}
        if not info:
            return None
        delivered = [e.occurred_at for e in events if e.status is Status.DELIVERED]
        return ProofOfDelivery(signed_by=info.get("receivedBy", ""), timestamp=max(delivered, default=None))


def _pickup_point(scans: list[tuple[Mapping[str, Any], TrackingEvent]]) -> PickupPoint | None:
    """Where the newest "ready for pickup" scan happened: an Access Point or a UPS facility.

    The Track API gives no Access Point id (`accessPointInformation` holds only `pickupByDate`).
    """
    waiting = [(activity, event) for activity, event in scans if event.status is Status.AVAILABLE_FOR_PICKUP]
    if not waiting:
        return None
    activity, _ = max(waiting, key=lambda scan: scan[1].occurred_at)
    address = (activity.get("location") or {}).get("address") or {}
    return PickupPoint(
        id="",
        address=address.get("addressLine1", ""),
        postcode=address.get("postalCode", ""),
        city=address.get("city", ""),
        country=address.get("countryCode") or address.get("country", ""),
    )


def _errors(response: httpx.Response) -> list[tuple[str, str]]:
    try:
        body = response.json()
        return [(e.get("code", ""), e.get("message", "")) for e in body["response"]["errors"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _date_time(day: str, clock: str) -> datetime:
    return datetime.strptime(day + clock.zfill(6), "%Y%m%d%H%M%S")  # noqa: DTZ007 - zone added by caller


def _clock(value: str) -> time:
    digits = value.zfill(6)  # UPS drops leading zeros ("74700" is 07:47:00)
    return time(int(digits[:2]), int(digits[2:4]), int(digits[4:6]))


def _offset(value: str) -> timezone | None:
    # "-05:00" / "+01:00"; anything else leaves the instant in UTC, which is still correct.
    if len(value) != 6 or value[0] not in "+-" or value[3] != ":":
        return None
    sign = -1 if value[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(value[1:3]), minutes=int(value[4:6])))


def _location(address: Mapping[str, Any]) -> str:
    place = ", ".join(part for part in (address.get("city", ""), address.get("stateProvince", "")) if part)
    country = address.get("countryCode") or address.get("country", "")
    return ", ".join(part for part in (place, country) if part)
