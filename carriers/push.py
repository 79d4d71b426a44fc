"""Reading push bodies: the errors a push can fail with, checked field readers, and the relay format.

Carriers that push in a format of their own parse it in their adapter's `parse_push`. For carriers
that do not (or whose pushes a relay collects first), Parcelfront reads one relay format, the raw
codes in it being the carrier's own and mapped by its adapter::

    {"tracking_number": "...", "events": [{"occurred_at": "2026-11-03T10:38:23+01:00",
      "code": "...", "text": "...", "location": "..."}], "eta_from": "...", "eta_to": "...",
      "service": "..."}

Every reader raises `MalformedPush` naming the field, so a bad body is refused with a reason and
nothing of it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from carriers.types import TrackingEvent, TrackingResult

MAX_EVENTS = 500


class MalformedPush(ValueError):
    """The push is authentic but not in a shape we understand; answered with 400 and the reason."""


class PushNotSupported(MalformedPush):
    """The carrier has no push format of its own and the body is not in the relay format."""


class PushReader(Protocol):
    """What the relay reader needs of an adapter: its clock and its mapping."""

    def parse_time(self, value: str | datetime) -> datetime: ...

    def event(self, occurred_at: datetime, raw_code: str, text: str, location: str = "") -> TrackingEvent: ...

    def result(
        self,
        number: str,
        events: Iterable[TrackingEvent],
        *,
        eta_from: datetime | None = None,
        eta_to: datetime | None = None,
        service: str = "",
        raw: Mapping[str, Any] | str | None = None,
    ) -> TrackingResult: ...


def push_document(body: bytes) -> Mapping[str, Any]:
    """The JSON object a push body holds."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPush(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedPush("body must be a JSON object")
    return document


def is_relay_push(document: Mapping[str, Any]) -> bool:
    """True when the body is (meant to be) in the relay format."""
    return "tracking_number" in document or "events" in document


def relay_push_result(reader: PushReader, document: Mapping[str, Any]) -> TrackingResult:
    """The result a relay-format body stands for, its codes mapped by `reader`."""
    number = push_text(document.get("tracking_number"), "tracking_number")
    raw_events = document.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise MalformedPush("events must be a non-empty list")
    if len(raw_events) > MAX_EVENTS:
        raise MalformedPush(f"at most {MAX_EVENTS} events per push")
    events = []
    for index, raw_event in enumerate(raw_events):
        item = push_object(raw_event, f"events[{index}]")
        events.append(
            reader.event(
                push_time(reader, item.get("occurred_at"), f"events[{index}].occurred_at"),
                push_text(item.get("code"), f"events[{index}].code"),
                str(item.get("text") or ""),
                str(item.get("location") or ""),
            )
        )
    eta_from, eta_to = document.get("eta_from"), document.get("eta_to")
    return reader.result(
        number,
        events,
        eta_from=push_time(reader, eta_from, "eta_from") if eta_from else None,
        eta_to=push_time(reader, eta_to, "eta_to") if eta_to else None,
        service=str(document.get("service") or ""),
        raw=dict(document),
    )


def push_object(value: object, name: str) -> Mapping[str, Any]:
    """`value` as a JSON object, or MalformedPush naming the field."""
    if not isinstance(value, dict):
        raise MalformedPush(f"{name} must be an object")
    return value


def push_text(value: object, name: str) -> str:
    """A required non-empty string (or number) field, stripped."""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise MalformedPush(f"{name} is required")
    return str(value).strip()


def push_time(reader: PushReader, value: object, name: str) -> datetime:
    """A date-time field read in the carrier's zone when it has no offset."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedPush(f"{name} must be a date-time string")
    try:
        return reader.parse_time(value)
    except ValueError as exc:
        raise MalformedPush(f"{name} is not a date-time: {value!r}") from exc
