"""Carrier push webhooks: ``POST /webhooks/carriers/<carrier>/<shop_slug>/``.

Authentication: header ``X-Parcelfront-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw
request body keyed with the shop's ``CarrierAccount.webhook_secret`` for that carrier (set in the
admin; a relay in front of a carrier that cannot sign computes it). Compared in constant time.
Unknown shop, missing secret or a bad signature all answer 401 alike, so the endpoint does not
tell which shops exist.

Bodies (JSON, at most ``MAX_BODY_BYTES``) are the carrier's business: the endpoint hands them to
the carrier adapter's ``parse_push`` (``carriers/``), which reads the carrier's own push format
(InPost ShipX ``shipment_status_changed``) or Parcelfront's relay format for any carrier
(``carriers.push``), and feeds the results to the same apply service polling uses.

Answers: 200 ``{"applied": n, "status_changed": n, "unknown_numbers": [...]}``, 400
``{"error": "malformed", "reason": "..."}`` (nothing stored), 401, 404 for an unknown carrier code,
413 when too large. Repeating a push changes nothing (events deduplicate).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from carriers.push import MalformedPush
from carriers.registry import UnknownCarrier, adapter_class
from carriers.types import CarrierConfig, TrackingResult
from shipments.carrier_runtime import http_client
from shipments.models import CarrierAccount, Shipment
from shipments.tracking import shipment_apply_result

SIGNATURE_HEADER = "X-Parcelfront-Signature"
MAX_BODY_BYTES = 256 * 1024


def signature_for(secret: str, body: bytes) -> str:
    """The header value a sender puts in ``X-Parcelfront-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_results_apply(*, shop_id: int, carrier: str, results: Sequence[TrackingResult]) -> tuple[int, int, list[str]]:
    """Apply pushed results to ``shop_id``'s shipments of ``carrier`` as polling would.

    Returns (shipments applied to, status changes, numbers the shop does not have).
    """
    now = timezone.now()
    applied = changed = 0
    unknown = []
    for result in results:
        shipment_ids = list(
            Shipment.objects.filter(
                shop_id=shop_id,
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
    return applied, changed, unknown


def _unauthorized() -> JsonResponse:
    return JsonResponse({"error": "unauthorized"}, status=401)


@csrf_exempt
@require_POST
def carrier_push(request: HttpRequest, carrier: str, shop_slug: str) -> JsonResponse:
    """Authenticate a carrier push, parse it, and feed it to the apply service (see the module doc)."""
    try:
        adapter_type = adapter_class(carrier)
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
    adapter = adapter_type(config=CarrierConfig(), client=http_client())
    try:
        results = adapter.parse_push(body, request.headers)
    except MalformedPush as exc:
        return JsonResponse({"error": "malformed", "reason": str(exc)}, status=400)

    applied, changed, unknown = push_results_apply(shop_id=account.shop_id, carrier=carrier, results=results)
    return JsonResponse({"applied": applied, "status_changed": changed, "unknown_numbers": unknown})
