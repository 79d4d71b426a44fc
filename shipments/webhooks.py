"""Carrier push webhooks: ``POST /webhooks/carriers/<carrier>/<shop_slug>/``.

Authentication: header ``X-Parcelfront-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw
request body keyed with the shop's ``CarrierAccount.webhook_secret`` for that carrier (set in the
admin; a relay in front of a carrier that cannot sign computes it). Compared in constant time.
Unknown shop, missing secret or a bad signature all answer 401 alike, so the endpoint does not
tell which shops exist.

Bodies (JSON, at most ``MAX_BODY_BYTES``):

* InPost ShipX ``shipment_status_changed``::

    {"event_ts": "2026-11-03 10:38:23 +0100", "event": "shipment_status_changed",
     "payload": {"status": "out_for_delivery", "tracking_number": "6200..."}}

* generic, for any carrier (codes are the carrier's raw codes, mapped by its adapter)::

    {"tracking_number": "...", "events": [{"occurred_at": "2026-11-03T10:38:23+01:00",
      "code": "...", "text": "...", "location": "..."}], "eta_from": "...", "eta_to": "...",
      "service": "..."}

Answers: 200 ``{"applied": n, "status_changed": n, "unknown_numbers": [...]}``, 400
``{"error": "malformed", "reason": "..."}`` (nothing stored), 401, 404 for an unknown carrier code,
413 when too large. Repeating a push changes nothing (events deduplicate).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from carriers.base import CarrierAdapter
from carriers.registry import UnknownCarrier, adapter_class
from carriers.types import CarrierConfig, TrackingResult
from shipments.carrier_runtime import http_client
from shipments.models import CarrierAccount, Shipment
from shipments.tracking import shipment_apply_result

SIGNATURE_HEADER = "X-Parcelfront-Signature"
MAX_BODY_BYTES = 256 * 1024
MAX_EVENTS = 500


class MalformedPush(ValueError):
    """The push is authentic but not in a shape we understand; answered with 400 and a reason."""


def signature_for(secret: str, body: bytes) -> str:
    """The header value a sender puts in ``X-Parcelfront-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_results_parse(*, carrier: str, body: bytes) -> list[TrackingResult]:
    """Parse a push body into results for ``carrier``; raises MalformedPush saying what is wrong."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPush(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedPush("body must be a JSON object")
    adapter = adapter_class(carrier)(config=CarrierConfig(), client=http_client())
    try:
        if document.get("event") == "shipment_status_changed" and carrier == "inpost":
            return [_inpost_result(adapter, document)]
        return [_generic_result(adapter, document)]
    except MalformedPush:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedPush(f"{type(exc).__name__}: {exc}") from exc


def _inpost_result(adapter: CarrierAdapter, document: Mapping[str, Any]) -> TrackingResult:
    payload = _object(document.get("payload"), "payload")
    number = _text(payload.get("tracking_number"), "payload.tracking_number")
    status = _text(payload.get("status"), "payload.status")
    occurred_at = _time(adapter, document.get("event_ts"), "event_ts")
    return adapter.result(number, [adapter.event(occurred_at, status, "")], raw=dict(document))


def _generic_result(adapter: CarrierAdapter, document: Mapping[str, Any]) -> TrackingResult:
    number = _text(document.get("tracking_number"), "tracking_number")
    raw_events = document.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise MalformedPush("events must be a non-empty list")
    if len(raw_events) > MAX_EVENTS:
        raise MalformedPush(f"at most {MAX_EVENTS} events per push")
    events = []
    for index, raw_event in enumerate(raw_events):
        item = _object(raw_event, f"events[{index}]")
        events.append(
            adapter.event(
                _time(adapter, item.get("occurred_at"), f"events[{index}].occurred_at"),
                _text(item.get("code"), f"events[{index}].code"),
                str(item.get("text") or ""),
                str(item.get("location") or ""),
            )
        )
    eta_from, eta_to = document.get("eta_from"), document.get("eta_to")
    return adapter.result(
        number,
        events,
        eta_from=_time(adapter, eta_from, "eta_from") if eta_from else None,
        eta_to=_time(adapter, eta_to, "eta_to") if eta_to else None,
        service=str(document.get("service") or ""),
        raw=dict(document),
    )


def _object(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPush(f"{name} must be an object")
    return value


def _text(value: object, name: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise MalformedPush(f"{name} is required")
    return str(value).strip()


def _time(adapter: CarrierAdapter, value: object, name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise MalformedPush(f"{name} must be a date-time string")
    try:
        return adapter.parse_time(value)
    except ValueError as exc:
        raise MalformedPush(f"{name} is not a date-time: {value!r}") from exc


def _unauthorized() -> JsonResponse:
    return JsonResponse({"error": "unauthorized"}, status=401)


@csrf_exempt
@require_POST
def carrier_push(request: HttpRequest, carrier: str, shop_slug: str) -> JsonResponse:
    """Authenticate a carrier push, parse it, and feed it to the apply service (see the module doc)."""
    try:
        adapter_class(carrier)
    except UnknownCarrier:
        return JsonResponse({"error": "unknown_carrier"}, status=404)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return JsonResponse({"error": "too_large", "limit_bytes": MAX_BODY_BYTES}, status=413)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "too_large", "limit_bytes": MAX_BODY_BYTES}, status=413)
    account = (
        CarrierAccount.objects.filter(shop__slug=shop_slug, shop__is_active=True, carrier=carrier)
        .exclude(webhook_secret="")
        .first()
    )
    given = request.headers.get(SIGNATURE_HEADER, "")
    expected = signature_for(account.webhook_secret if account else "no-secret", body)
    if not hmac.compare_digest(given.encode(), expected.encode()) or account is None:
        return _unauthorized()
    try:
        results = push_results_parse(carrier=carrier, body=body)
    except MalformedPush as exc:
        return JsonResponse({"error": "malformed", "reason": str(exc)}, status=400)

    now = timezone.now()
    applied = changed = 0
    unknown = []
    for result in results:
        shipment_ids = list(
            Shipment.objects.filter(
                shop_id=account.shop_id,
                carrier=carrier,
                tracking_number="".join(result.tracking_number.split()).upper(),
            ).values_list("pk", flat=True)
        )
        if not shipment_ids:
            unknown.append(result.tracking_number)
        for shipment_id in shipment_ids:
            report = shipment_apply_result(shipment_id=shipment_id, outcome=result, source="push", now=now)
            applied += 1
            changed += int(report.status_changed)
    return JsonResponse({"applied": applied, "status_changed": changed, "unknown_numbers": unknown})
