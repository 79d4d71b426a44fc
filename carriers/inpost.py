"""InPost (PL) through ShipX tracking: one number per GET, no token needed.

Shape verified against CARRIERS.md and public client code (tracking_details newest first, each with
`status`/`origin_status`/`agency`/`datetime` with offset; custom_attributes.target_machine_detail
with name, opening_hours, location_description, location{latitude,longitude}, address{line1,line2}).
ShipX sends no human text per event, so event `text` stays empty rather than invented.

Push: ShipX's webhook `shipment_status_changed` (`{"event_ts": "2026-11-03 10:38:23 +0100",
"event": "shipment_status_changed", "payload": {"status": ..., "tracking_number": ...}}`) carries
the status and its time (whole seconds, as ShipX's polled times are: `.000`) but no agency, so an
InPost event's dedupe key is derived from the instant and the status only: a push and a later poll
of the same scan are one event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.push import push_document, push_object, push_text, push_time, relay_push_result
from carriers.registry import register
from carriers.types import (
    MalformedResponse,
    PickupPoint,
    Reason,
    Status,
    TrackingEvent,
    TrackingResult,
    event_dedupe_key,
)

_POSTCODE_CITY = re.compile(r"^\s*(\d{2}-\d{3})\s+(.+?)\s*$")

_INFO = (Status.INFO_RECEIVED, "")
_TRANSIT = (Status.IN_TRANSIT, "")
_PICKED_UP = (Status.IN_TRANSIT, Reason.PICKED_UP)
_REDIRECTED = (Status.IN_TRANSIT, Reason.REDIRECTED)
_OUT = (Status.OUT_FOR_DELIVERY, "")
_PICKUP = (Status.AVAILABLE_FOR_PICKUP, "")


@register
class InPostAdapter(CarrierAdapter):
    """InPost parcel lockers and courier, via the public ShipX tracking endpoint."""

    code = "inpost"
    name = "InPost"
    batch_size = 1
    timezone = "Europe/Warsaw"
    default_base_url = "https://api-shipx-pl.easypack24.net"
    tracking_url_template = "https://inpost.pl/sledzenie-przesylek?number={number}"
    # Public clients report 400 as well as 404 for numbers InPost does not know.
    not_found_http_statuses = frozenset({400, 404})
    status_map = {
        "created": _INFO,
        "offers_prepared": _INFO,
        "offer_selected": _INFO,
        "confirmed": _INFO,
        "dispatched_by_sender": _PICKED_UP,
        "dispatched_by_sender_to_pok": _PICKED_UP,
        "collected_from_sender": _PICKED_UP,
        "taken_by_courier": _PICKED_UP,
        "taken_by_courier_from_pok": _TRANSIT,
        "adopted_at_source_branch": _TRANSIT,
        "sent_from_source_branch": _TRANSIT,
        "adopted_at_sorting_center": _TRANSIT,
        "sent_from_sorting_center": _TRANSIT,
        "adopted_at_target_branch": _TRANSIT,
        "unstack_from_box_machine": _TRANSIT,
        "unstack_from_customer_service_point": _TRANSIT,
        "redirect_to_box": _REDIRECTED,
        "canceled_redirect_to_box": _TRANSIT,
        "readdressed": _REDIRECTED,
        "delay_in_delivery": (Status.IN_TRANSIT, Reason.DELAYED),
        "out_for_delivery": _OUT,
        "out_for_delivery_to_address": _OUT,
        "ready_to_pickup": _PICKUP,
        "ready_to_pickup_from_pok": _PICKUP,
        "ready_to_pickup_from_pok_registered": _PICKUP,
        "ready_to_pickup_from_branch": _PICKUP,
        "pickup_reminder_sent": (Status.AVAILABLE_FOR_PICKUP, Reason.PICKUP_REMINDER),
        "stack_in_box_machine": _PICKUP,
        "stack_in_customer_service_point": _PICKUP,
        "courier_avizo_in_customer_service_point": (Status.AVAILABLE_FOR_PICKUP, Reason.RECIPIENT_ABSENT),
        "avizo": (Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT),
        "rejected_by_receiver": (Status.FAILED_ATTEMPT, Reason.REFUSED),
        "pickup_time_expired": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
        "stack_parcel_pickup_time_expired": (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
        "oversized": (Status.EXCEPTION, Reason.OVERSIZED),
        "missing": (Status.EXCEPTION, Reason.LOST),
        "claimed": (Status.EXCEPTION, ""),
        "undelivered": (Status.EXCEPTION, ""),
        "returned_to_sender": (Status.RETURNING_TO_SENDER, ""),
        "return_pickup_confirmation_to_sender": (Status.RETURNED_TO_SENDER, ""),
        "delivered": (Status.DELIVERED, ""),
        "canceled": (Status.CANCELLED, ""),
        # InPost's own catch-all: known code, no status information.
        "other": (None, ""),
    }
    # undelivered_wrong_address, undelivered_unknown_receiver, ... are one family per CARRIERS.md.
    family_map = {"undelivered_": (Status.FAILED_ATTEMPT, Reason.ADDRESS_PROBLEM)}

    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """GET /v1/tracking/{number}."""
        return self.make_request(
            "GET", f"/v1/tracking/{quote(numbers[0], safe='')}", headers={"Accept": "application/json"}
        )

    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """One parcel per response; `tracking_details` arrive newest first."""
        number = numbers[0]
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise MalformedResponse(f"InPost tracking body is {type(body).__name__}, expected an object")
        details = body["tracking_details"]
        if not isinstance(details, list):
            raise MalformedResponse("InPost tracking_details is not a list")
        events = [self._event(detail) for detail in reversed(details)]
        attributes = body.get("custom_attributes") or {}
        return {
            number: self.result(
                number,
                events,
                pickup_point=_pickup_point(attributes),
                service=str(body.get("service") or body.get("type") or ""),
                raw=body,
            )
        }

    def parse_push(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingResult]:
        """ShipX's `shipment_status_changed` webhook as one event; any other body is read as the relay format."""
        document = push_document(body)
        if document.get("event") != "shipment_status_changed":
            return [relay_push_result(self, document)]
        payload = push_object(document.get("payload"), "payload")
        number = push_text(payload.get("tracking_number"), "payload.tracking_number")
        status = push_text(payload.get("status"), "payload.status")
        occurred_at = push_time(self, document.get("event_ts"), "event_ts")
        return [self.result(number, [self.event(occurred_at, status, "")], raw=dict(document))]

    def dedupe_key_for(self, occurred_at: datetime, raw_code: str, text: str, location: str) -> str:
        """Instant and status: all a push shares with a poll (a push has no agency; ShipX texts are empty)."""
        return event_dedupe_key(occurred_at, raw_code)

    def _event(self, detail: Mapping[str, Any]) -> TrackingEvent:
        agency = detail.get("agency")
        return self.event(
            self.parse_time(detail["datetime"]),
            str(detail["status"]),
            "",
            str(agency) if agency else "",
        )


def _pickup_point(attributes: Mapping[str, Any]) -> PickupPoint | None:
    machine_id = attributes.get("target_machine_id")
    if not machine_id:
        return None
    detail = attributes.get("target_machine_detail") or {}
    address = detail.get("address") or {}
    location = detail.get("location") or {}
    postcode_city = _POSTCODE_CITY.match(str(address.get("line2") or ""))
    return PickupPoint(
        id=str(machine_id),
        name=str(detail.get("name") or machine_id),
        address=str(address.get("line1") or ""),
        postcode=postcode_city.group(1) if postcode_city else "",
        city=postcode_city.group(2) if postcode_city else str(address.get("line2") or ""),
        country="PL",
        opening_hours=str(detail.get("opening_hours") or ""),
        latitude=_float_or_none(location.get("latitude")),
        longitude=_float_or_none(location.get("longitude")),
        description=str(detail.get("location_description") or ""),
    )


def _float_or_none(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        return float(value)
    raise MalformedResponse(f"InPost sent a non-numeric coordinate {value!r}")
