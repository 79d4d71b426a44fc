"""Poczta Polska through the USS tracking REST API 2.0.

Single numbers use `GET /uss/v2.0/tracking/checkmailex` (works with the public account's key).
Accounts granted the batch method set `extra["batch_size"]` (2..999, the account's `checkmailcount`)
and are polled through `POST .../checkmailcollectionex` with the same per-number answer shape.
Auth: `config.api_key` is sent as header `api_key`; without it, `username`/`password` log in once
per adapter (`POST .../login`, password as upper-case SHA-256 hex) and the token is reused.

Verified against public client code: the checkmailex answer shape (mailInfo.events[] with code,
name, time without offset, postOffice{name, description}, canceled), mailStatus 0 = found and
-1 = unknown number (-2 invalid number, -99 other error as in the older SOAP API), event codes
P_NAD, P_WZL, P_PZL, P_WD, P_D, P_A, P_OWU, P_NDPJ. Not verified: the batch request body shape
and the login password hashing; both are isolated in `_batch_request` and `_login`.
Event names are kept verbatim: Poczta Polska's terms forbid altering them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import register
from carriers.types import (
    CarrierConfig,
    CarrierFailure,
    ErrorKind,
    MalformedResponse,
    PickupPoint,
    Reason,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
)

_API = "/uss/v2.0/tracking"
_MAX_BATCH = 999
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
_TRANSIT = (Status.IN_TRANSIT, "")
_CUSTOMS = (Status.IN_TRANSIT, Reason.CUSTOMS)
# Codes whose post office is where the customer collects the item.
_PICKUP_CODES = frozenset({"P_A", "P_KWD"})
# mailStatus values other than "found"; 1 (several items share the number) still carries mailInfo.
_MAIL_STATUS_ERRORS = {
    -1: (ErrorKind.NOT_FOUND, "Poczta Polska does not know this number"),
    -2: (ErrorKind.INVALID_NUMBER, "Poczta Polska rejected the number as invalid"),
    -99: (ErrorKind.CARRIER_ERROR, "Poczta Polska reported an internal error"),
}


@register
class PocztaPolskaAdapter(CarrierAdapter):
    """Poczta Polska letters, parcels and Pocztex, including inbound international items."""

    code = "poczta_polska"
    name = "Poczta Polska"
    batch_size = 1
    timezone = "Europe/Warsaw"
    default_base_url = "https://uss.poczta-polska.pl"
    tracking_url_template = "https://emonitoring.poczta-polska.pl/?numer={number}"
    status_map = {
        "P_REJ_KN1": (Status.INFO_RECEIVED, ""),
        "P_NAD": (Status.IN_TRANSIT, Reason.PICKED_UP),
        "P_WZL": _TRANSIT,
        "P_PZL": _TRANSIT,
        "P_WYPL": _TRANSIT,
        "P_WEOC": _TRANSIT,
        "P_RUD": _TRANSIT,
        "P_ZPUCPP": _CUSTOMS,
        "P_WPUCPP": _CUSTOMS,
        "P_ZWC": _CUSTOMS,
        "P_ZWOLDDOR": _CUSTOMS,
        "P_WD": (Status.OUT_FOR_DELIVERY, ""),
        "P_WDML": (Status.OUT_FOR_DELIVERY, ""),
        "P_A": (Status.AVAILABLE_FOR_PICKUP, Reason.RECIPIENT_ABSENT),
        "P_KWD": (Status.AVAILABLE_FOR_PICKUP, ""),
        "P_NDPJ": (Status.FAILED_ATTEMPT, ""),
        "P_D": (Status.DELIVERED, ""),
        "P_OWU": (Status.DELIVERED, ""),
        "P_ZWROT": (Status.RETURNING_TO_SENDER, ""),
        # Signature of the recipient became available: informative, no change of status.
        "P_UKEPO": (None, ""),
    }
    family_map = {
        "P_REJ": (Status.INFO_RECEIVED, ""),
        "P_ND": (Status.FAILED_ATTEMPT, ""),
        "P_ZWROT": (Status.RETURNING_TO_SENDER, ""),
    }

    def __init__(self, *, config: CarrierConfig, client: httpx.Client) -> None:
        super().__init__(config=config, client=client)
        wanted = int(config.extra.get("batch_size", "1"))
        self.batch_size = max(1, min(_MAX_BATCH, wanted))
        self._token = config.api_key

    # ------------------------------------------------------------------ hooks

    def fetch_chunk(self, numbers: Sequence[str]) -> Mapping[str, Outcome]:
        """Log in first when only a username and password are configured."""
        if not self._token:
            self._token = self._login()
        return super().fetch_chunk(numbers)

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """checkmailex for one number, checkmailcollectionex for several."""
        headers = {"api_key": self._token, "Accept": "application/json"}
        if len(numbers) == 1:
            params = {"number": numbers[0], "language": "PL", "states": "true"}
            return self.make_request("GET", f"{_API}/checkmailex", params=params, headers=headers)
        return self._batch_request(numbers, headers)

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """A single answer object, or (batch) a list of them, each with its own mailStatus."""
        body = self.json_body(response)
        answers = body if isinstance(body, list) else [body]
        outcomes: dict[str, Outcome] = {}
        for answer in answers:
            if not isinstance(answer, dict):
                raise MalformedResponse(f"Poczta Polska answer is {type(answer).__name__}, expected an object")
            number = str(answer.get("number") or (numbers[0] if len(numbers) == 1 else ""))
            outcomes[number] = self.parse_guarded(number, partial(self._one, number, answer))
        return outcomes

    def classify_response(self, response: httpx.Response) -> TrackingError | None:
        """USS answers 405 when the account must change its password; nothing else will work."""
        if response.status_code == 405:
            return TrackingError(ErrorKind.AUTH, "Poczta Polska requires a password change", None, 405)
        return super().classify_response(response)

    # ------------------------------------------------------------------ internals

    def _batch_request(self, numbers: Sequence[str], headers: Mapping[str, str]) -> httpx.Request:
        payload = {"number": list(numbers), "language": "PL", "states": True}
        return self.make_request("POST", f"{_API}/checkmailcollectionex", json_body=payload, headers=headers)

    def _login(self) -> str:
        if not (self.config.username and self.config.password):
            raise CarrierFailure(
                TrackingError(ErrorKind.AUTH, "Poczta Polska needs an api_key or a username and password")
            )
        password = self.config.password
        # An already hashed password (64 hex characters) is passed through, so it never sits in plain text.
        hashed = password.upper() if _HEX64.fullmatch(password) else _sha256_hex(password)
        request = self.make_request(
            "POST",
            f"{_API}/login",
            json_body={"login": self.config.username, "password": hashed, "language": "PL"},
        )
        response = self.send(request)
        token = _token_from(response)
        if not token:
            raise MalformedResponse("Poczta Polska login returned no token")
        return token

    def _one(self, number: str, answer: Mapping[str, Any]) -> Outcome:
        mail_status = int(answer["mailStatus"])
        if mail_status in _MAIL_STATUS_ERRORS:
            kind, message = _MAIL_STATUS_ERRORS[mail_status]
            return TrackingError(kind, message)
        mail = answer["mailInfo"]
        if not isinstance(mail, dict):
            raise MalformedResponse(f"Poczta Polska mailStatus {mail_status} came without mailInfo")
        raw_events = [event for event in mail.get("events") or [] if not event.get("canceled")]
        # Canceled events are scans the post office itself withdrew; showing them would mislead.
        events = [self._event(event) for event in raw_events]
        return self._result(number, mail, events, raw_events, answer)

    def _event(self, event: Mapping[str, Any]) -> TrackingEvent:
        office = event.get("postOffice") or {}
        return self.event(
            self.parse_time(event["time"]), str(event["code"]), str(event["name"]), str(office.get("name") or "")
        )

    def _result(
        self,
        number: str,
        mail: Mapping[str, Any],
        events: list[TrackingEvent],
        raw_events: list[Mapping[str, Any]],
        answer: Mapping[str, Any],
    ) -> TrackingResult:
        pickup_office = next(
            (event.get("postOffice") for event in reversed(raw_events) if event.get("code") in _PICKUP_CODES),
            None,
        )
        return self.result(
            number,
            events,
            pickup_point=_post_office(pickup_office) if pickup_office else None,
            service=str(mail.get("typeOfMailName") or ""),
            raw=answer,
        )


def _post_office(office: Mapping[str, Any]) -> PickupPoint:
    description = office.get("description") or {}
    street = " ".join(
        part for part in (str(description.get("street") or ""), str(description.get("houseNumber") or "")) if part
    )
    days = (description.get("openingHours") or {}).get("businessDays") or []
    hours = ", ".join(f"{day.get('from', '')}-{day.get('to', '')}" for day in days if isinstance(day, dict))
    latitude, longitude = description.get("latitude"), description.get("longitude")
    return PickupPoint(
        id=str(office.get("code") or office.get("name") or ""),
        name=str(office.get("name") or ""),
        address=street,
        postcode=str(description.get("zipCode") or ""),
        city=str(description.get("city") or ""),
        country="PL",
        opening_hours=hours,
        # 0.0/0.0 is what USS sends when it has no coordinates.
        latitude=float(latitude) if latitude else None,
        longitude=float(longitude) if longitude else None,
    )


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def _token_from(response: httpx.Response) -> str:
    """The login answer is the token, either bare or as a JSON string."""
    text = response.text.strip()
    if text.startswith('"'):
        decoded = response.json()
        return decoded if isinstance(decoded, str) else ""
    return text
