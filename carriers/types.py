"""Normalized values every carrier adapter produces and every consumer reads.

Pure data: no I/O, no Django. Everything here is immutable so a result can be cached, shared
between threads and compared in tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Status(StrEnum):
    """Normalized shipment status (see DESIGN.md, "Normalized statuses")."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    FAILED_ATTEMPT = "failed_attempt"
    EXCEPTION = "exception"
    DELIVERED = "delivered"
    RETURNING_TO_SENDER = "returning_to_sender"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINAL_STATUSES: frozenset[Status] = frozenset(
    {Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED, Status.EXPIRED}
)


class Reason(StrEnum):
    """Why a shipment is in its status; refines a `Status` (empty string = no particular reason).

    A StrEnum so members compare equal to, and serialize as, plain strings.
    """

    PICKED_UP = "picked_up"
    CUSTOMS = "customs"
    DELAYED = "delayed"
    REDIRECTED = "redirected"
    ADDRESS_PROBLEM = "address_problem"
    RECIPIENT_ABSENT = "recipient_absent"
    REFUSED = "refused"
    LOST = "lost"
    DAMAGED = "damaged"
    OVERSIZED = "oversized"
    PICKUP_EXPIRED = "pickup_expired"
    PICKUP_REMINDER = "pickup_reminder"


class ErrorKind(StrEnum):
    """What went wrong fetching one tracking number; decides whether to retry."""

    NOT_FOUND = "not_found"
    INVALID_NUMBER = "invalid_number"
    EXPIRED = "expired"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    CARRIER_ERROR = "carrier_error"


RETRYABLE_ERRORS: frozenset[ErrorKind] = frozenset({ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED})


def event_dedupe_key(occurred_at: datetime, *said: str) -> str:
    """64 hex chars from the instant (in UTC, so any zone gives the same key) and what the carrier said."""
    material = "\x1f".join((occurred_at.astimezone(UTC).isoformat(), *said))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One scan or status update as the carrier reported it, with our normalized reading beside it.

    `status` is None when the raw code is unknown and has no known family; `mapped` is False
    whenever the raw code was not found in the adapter's `status_map` (even if a family matched).
    `text` is the carrier's wording, never altered (Poczta Polska's terms require that).
    `unrecognized_text` is set (to the normalized wording) when the adapter reads meaning from the
    carrier's texts and knew no phrasing for this one; the status then comes from the code alone.
    `dedupe_key` is equal for the same event however often (and in whichever zone) it is reported.
    It is built from what the carrier said, not from our mapping, so changing `status_map` does not
    make old events look new; by default from instant, code, text and location, and an adapter whose
    push and poll tell one scan with different fields passes the key it derives from the common ones.
    """

    occurred_at: datetime
    status: Status | None
    reason: str
    raw_code: str
    text: str
    location: str = ""
    mapped: bool = True
    unrecognized_text: str = ""
    dedupe_key: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        # Naive datetimes silently shift by hours between servers; reject them at the source.
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError(f"TrackingEvent.occurred_at must be timezone-aware, got {self.occurred_at!r}")
        if not self.dedupe_key:
            key = event_dedupe_key(self.occurred_at, self.raw_code, self.text, self.location)
            object.__setattr__(self, "dedupe_key", key)

    @property
    def review_code(self) -> str:
        """What is counted for review (``UnmappedCode``): the raw code when it is unmapped, the code and
        the normalized wording when the wording was not recognized, else empty."""
        if not self.mapped:
            return self.raw_code
        if self.unrecognized_text:
            return f"{self.raw_code} text: {self.unrecognized_text}"
        return ""


@dataclass(frozen=True, slots=True)
class PickupPoint:
    """Where the customer collects the parcel (parcel locker, shop, post office)."""

    id: str
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    opening_hours: str = ""
    latitude: float | None = None
    longitude: float | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class ProofOfDelivery:
    """Who signed for the parcel, when, and where the carrier shows the signature."""

    signed_by: str = ""
    timestamp: datetime | None = None
    signature_url: str = ""


@dataclass(frozen=True, slots=True)
class TrackingResult:
    """Everything the carrier told us about one tracking number in one fetch.

    `events` are oldest first. `status`/`reason` come from the newest event that has a status;
    `unmapped_codes` lists raw codes missing from the adapter's mapping and `unrecognized_texts` the
    wordings its phrasebook does not know, so they can be counted and added rather than guessed.
    """

    carrier: str
    tracking_number: str
    events: tuple[TrackingEvent, ...] = ()
    status: Status | None = None
    reason: str = ""
    eta_from: datetime | None = None
    eta_to: datetime | None = None
    pickup_point: PickupPoint | None = None
    proof_of_delivery: ProofOfDelivery | None = None
    service: str = ""
    is_final: bool = False
    raw: Mapping[str, Any] | str | None = field(default=None, hash=False, repr=False)
    unmapped_codes: tuple[str, ...] = ()
    unrecognized_texts: tuple[str, ...] = ()

    @property
    def latest_event(self) -> TrackingEvent | None:
        """The newest event, or None when the carrier knows the number but reported nothing yet."""
        return self.events[-1] if self.events else None


@dataclass(frozen=True, slots=True)
class TrackingError:
    """Why one tracking number could not be fetched this time; a value, not an exception."""

    kind: ErrorKind
    message: str
    retry_after: float | None = None
    http_status: int | None = None

    @property
    def retryable(self) -> bool:
        """True when asking again later may succeed (timeouts, 5xx, rate limits)."""
        return self.kind in RETRYABLE_ERRORS


class CarrierFailure(Exception):
    """Raised inside an adapter to abort the current chunk with a typed error for each of its numbers.

    The base class catches it; it never escapes `CarrierAdapter.fetch`.
    """

    def __init__(self, error: TrackingError) -> None:
        super().__init__(f"{error.kind}: {error.message}")
        self.error = error


class MalformedResponse(ValueError):
    """The carrier answered, but not in the shape we expect; becomes ErrorKind.CARRIER_ERROR."""


@dataclass(frozen=True, slots=True)
class CarrierConfig:
    """Per-deployment settings of one carrier (from env: CARRIER_<CODE>_BASE_URL, ..._API_KEY, ...).

    Empty `base_url` means the adapter's `default_base_url`. Secrets stay out of `repr`.
    """

    base_url: str = ""
    api_key: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    account: str = ""
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    timeout: float = 10.0

    def __post_init__(self) -> None:
        # A zero or negative timeout would mean "wait forever" or fail every call; both are config bugs.
        if not self.timeout > 0:
            raise ValueError(f"CarrierConfig.timeout must be positive, got {self.timeout!r}")
