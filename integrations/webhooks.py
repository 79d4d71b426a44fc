"""Shop platform webhooks: ``POST /webhooks/shops/<platform>/<connection id>/``.

The connection id (192 random bits) names the connection; the platform's signature over the raw
body (Shopify ``X-Shopify-Hmac-SHA256``, WooCommerce ``X-WC-Webhook-Signature``) proves the sender,
checked in constant time against the connection's secret. Unknown connection, a turned-off one,
a missing secret or a bad signature all answer 401 alike and change nothing.

A delivery id seen before (``WebhookReceipt``, recorded in the same transaction as the change)
answers 200 without applying again; without one, the platform's order and parcel ids keep repeats
harmless. A delivery that lost a race with a concurrent one stores nothing and answers 409, so the
platform retries it. A body we cannot read answers 400 and changes nothing; an order we cannot take answers
422 with the reason (the platform retries, the admin shows it).
"""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.health import connection_problems_record, connection_success_record
from integrations.models import ShopConnection, WebhookReceipt
from integrations.registry import connector_class
from integrations.runtime import credentials_of
from integrations.services import connection_order_apply
from integrations.types import ConnectorError, Credentials

logger = logging.getLogger(__name__)

WEBHOOK_PLATFORMS = ("shopify", "woocommerce")
WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d+")


def _unauthorized() -> JsonResponse:
    return JsonResponse({"error": "unauthorized"}, status=401)


@csrf_exempt
@require_POST
def shop_webhook(request: HttpRequest, platform: str, connection_id: str) -> JsonResponse:
    """Verify a platform's webhook and feed its orders to the ingestion (see the module docstring)."""
    if platform not in WEBHOOK_PLATFORMS:
        return JsonResponse({"error": "unknown_platform"}, status=404)
    limit = settings.INTEGRATIONS_MAX_WEBHOOK_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > limit:
        return JsonResponse({"error": "too_large", "limit_bytes": limit}, status=413)
    body = request.body
    connection = (
        ShopConnection.objects.filter(public_id=connection_id, platform=platform, enabled=True, shop__is_active=True)
        .exclude(webhook_secret="")
        .select_related("shop")
        .first()
    )
    # The same work whether or not the connection exists, so timing does not tell. Verifying needs no HTTP client.
    credentials = credentials_of(connection) if connection else Credentials(webhook_secret=secrets.token_hex(16))
    connector = connector_class(platform)(credentials=credentials, client=None)
    if platform == "woocommerce" and connection is not None and WOOCOMMERCE_PING.fullmatch(body):
        # WooCommerce pings a new webhook's URL unsigned and keeps it only if the answer is 2xx.
        return JsonResponse({"ping": True})
    if not connector.verify(body, request.headers) or connection is None:
        return _unauthorized()
    try:
        event = connector.parse_webhook(body, request.headers)
    except ConnectorError as error:
        connection_problems_record(connection=connection, problems=[f"A webhook could not be read: {error.message}"])
        return JsonResponse({"error": "malformed", "reason": error.message}, status=400)
    delivery_id = event.delivery_id[:128]
    if delivery_id and WebhookReceipt.objects.filter(connection=connection, delivery_id=delivery_id).exists():
        return JsonResponse({"duplicate": True, "delivery_id": delivery_id})
    try:
        with transaction.atomic():
            if delivery_id:
                WebhookReceipt.objects.create(connection=connection, delivery_id=delivery_id, topic=event.topic[:60])
            reports = [connection_order_apply(connection=connection, order_data=order) for order in event.orders]
    except IntegrityError:
        # A concurrent delivery (this one again, or another about the same order) won the race: nothing of this
        # one is stored, and the platform's retry finds the state settled.
        return JsonResponse({"error": "conflict", "retry": True}, status=409)
    except ValidationError as error:
        reason = " ".join(error.messages)
        logger.info("webhook of connection %s refused: %s", connection.pk, reason)
        connection_problems_record(connection=connection, problems=[f"An order could not be imported: {reason}"])
        return JsonResponse({"error": "refused", "reason": reason}, status=422)
    connection_success_record(connection=connection)
    connection_problems_record(connection=connection, problems=[p for report in reports for p in report.problems])
    return JsonResponse(
        {
            "topic": event.topic,
            "orders": [report.order_number for report in reports if report.order_number],
            "parcels_added": sum(report.parcels_added for report in reports),
            "parcels_waiting": sum(report.parcels_waiting for report in reports),
            "skipped": [report.skipped for report in reports if report.skipped],
        }
    )
