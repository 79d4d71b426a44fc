"""Writes for outgoing webhooks: endpoints, events, deliveries with backoff, and signing.

Flow: an event (``WebhookEvent``, unique per source) fans out to one ``WebhookDelivery`` per subscribed
active endpoint (unique per endpoint and event). A delivery is *claimed* (a token and a lease in
``next_attempt_at``) before a task is enqueued for it; the task consumes the token, so duplicate
messages send nothing. Failures are rescheduled by due time in the database (``RETRY_DELAYS``,
about 27 hours in all) and picked up by the beat sweeper, never by long Celery countdowns. A
delivery that gives up while its endpoint has had no success since it started failing disables the
endpoint. Requests are signed per Standard Webhooks (https://www.standardwebhooks.com/).
"""

import ipaddress
import json
import logging
import random
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from standardwebhooks import Webhook

from api.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from api.transport import BlockedDestination, SafeTransport, address_refusal
from carriers.types import Status
from config import metrics
from config.celery import publish_on_commit
from notifications.models import Message
from shipments.links import order_tracking_url
from shipments.models import StatusChange
from shops.models import Shop

logger = logging.getLogger(__name__)

# Waits after attempt 1, 2, ...: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h, 8 attempts in all).
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # +-10 % so endpoints that failed together do not retry together
CLAIM_LEASE = timedelta(minutes=5)  # longer than a request can take; after it the sweeper reclaims
REQUEST_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RESPONSE_EXCERPT_BYTES = 500
USER_AGENT = "Parcelfront-Webhooks/1"

STATUS_EVENT_TYPES = {
    Status.EXCEPTION: WebhookEventType.SHIPMENT_EXCEPTION,
    Status.DELIVERED: WebhookEventType.SHIPMENT_DELIVERED,
    Status.AVAILABLE_FOR_PICKUP: WebhookEventType.SHIPMENT_AVAILABLE_FOR_PICKUP,
}
SUBSCRIBABLE_EVENT_TYPES = tuple(
    choice for choice in WebhookEventType.values if choice != WebhookEventType.WEBHOOK_TEST
)


# --------------------------------------------------------------------------- endpoints


def _url_check(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"url": "Give an http(s) URL with a host name."}, code="invalid_url")
    if parts.username or parts.password:
        raise ValidationError({"url": "Credentials in the URL are not allowed."}, code="invalid_url")
    host = parts.hostname.rstrip(".").lower()
    loopback_name = host == "localhost" or host.endswith(".localhost")
    internal_name = loopback_name or host.endswith((".internal", ".local"))
    if internal_name and not (loopback_name and settings.WEBHOOKS_ALLOW_LOOPBACK):
        raise ValidationError({"url": "Internal host names are not allowed."}, code="blocked_url")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return  # a host name: checked again against what it resolves to at every connect
    refusal = address_refusal(literal, allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK)
    if refusal is not None:
        raise ValidationError({"url": f"The URL points to {refusal}."}, code="blocked_url")


def _event_types_check(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in SUBSCRIBABLE_EVENT_TYPES]
    if unknown or not chosen:
        raise ValidationError(
            {"event_types": f"Choose one or more of {', '.join(SUBSCRIBABLE_EVENT_TYPES)}."}, code="invalid_choice"
        )
    return chosen


def webhook_endpoint_create(
    *, shop: Shop, url: str, event_types: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    """Register ``url`` for ``shop``'s events of ``event_types``; the signing secret is generated."""
    _url_check(url)
    endpoint = WebhookEndpoint(shop=shop, url=url, event_types=_event_types_check(event_types), description=description)
    endpoint.full_clean(exclude=["shop"])
    endpoint.save()
    return endpoint


def webhook_endpoint_validate(*, endpoint: WebhookEndpoint) -> None:
    """The same URL and event-type checks as on creation, for admin forms."""
    _url_check(endpoint.url)
    endpoint.event_types = _event_types_check(endpoint.event_types)


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove ``endpoint`` with its deliveries and their log; the shop's events stay."""
    endpoint.delete()


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to ``endpoint``; pending deliveries wait until it is enabled again."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:300], updated_at=timezone.now()
    )
    endpoint.refresh_from_db()
    logger.warning("webhook endpoint %s of shop %s disabled: %s", endpoint.pk, endpoint.shop_id, reason)


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    """Send to ``endpoint`` again; its pending deliveries become due now."""
    now = timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, disabled_at=None, disabled_reason="", failing_since=None, updated_at=now
        )
        WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            next_attempt_at=now, claim_token=""
        )
    endpoint.refresh_from_db()


# --------------------------------------------------------------------------- events


def _claim(deliveries: list[WebhookDelivery], now: datetime) -> list[tuple[int, str]]:
    claims = []
    for delivery in deliveries:
        delivery.claim_token = uuid.uuid4().hex
        delivery.next_attempt_at = now + CLAIM_LEASE
        claims.append((delivery.pk, delivery.claim_token))
    WebhookDelivery.objects.bulk_update(deliveries, ["claim_token", "next_attempt_at"])
    return claims


def _enqueue(claims: Iterable[tuple[int, str]]) -> None:
    for delivery_id, token in claims:
        publish_on_commit("api.deliver_webhook", delivery_id=delivery_id, claim_token=token)


@transaction.atomic
def webhook_event_emit(
    *,
    shop: Shop,
    event_type: str,
    data: Mapping[str, Any],
    dedupe_key: str,
    status_change: StatusChange | None = None,
    endpoints: Iterable[WebhookEndpoint] | None = None,
    occurred_at: datetime | None = None,
) -> WebhookEvent:
    """Record ``shop``'s event once per ``dedupe_key`` and queue it for every subscribed active endpoint.

    Calling it again for the same ``dedupe_key`` creates nothing new. ``endpoints`` limits the
    fan-out (test events go to one endpoint).
    """
    if event_type not in WebhookEventType.values:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    event, _ = WebhookEvent.objects.get_or_create(
        shop=shop,
        dedupe_key=dedupe_key,
        defaults={
            "event_type": event_type,
            "status_change": status_change,
            "payload": {
                "type": event_type,
                "timestamp": (occurred_at or timezone.now()).astimezone(UTC).isoformat(),
                "data": dict(data),
            },
        },
    )
    targets = (
        list(endpoints)
        if endpoints is not None
        else [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(shop=shop, is_active=True)
            if endpoint.wants(event.event_type)
        ]
    )
    new_deliveries = []
    for endpoint in targets:
        if endpoint.shop_id != shop.pk:
            raise ValueError("an endpoint of another shop cannot receive this shop's event")
        delivery, created = WebhookDelivery.objects.get_or_create(endpoint=endpoint, event=event)
        if created:
            new_deliveries.append(delivery)
    _enqueue(_claim(new_deliveries, timezone.now()))
    return event


def _status_change_data(status_change: StatusChange) -> dict[str, Any]:
    shipment = status_change.shipment
    order = shipment.order

    def stamp(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    return {
        "status_change_id": status_change.pk,
        "from_status": status_change.from_status,
        "to_status": status_change.to_status,
        "reason": status_change.reason,
        "occurred_at": stamp(status_change.occurred_at),
        "shipment": {
            "id": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "direction": shipment.direction,
            "status": shipment.status,
            "reason": shipment.reason,
            "eta_from": stamp(shipment.eta_from),
            "eta_to": stamp(shipment.eta_to),
            "delivered_at": stamp(shipment.delivered_at),
        },
        "order": {
            "number": order.number,
            "tracking_url": order_tracking_url(order),
        },
    }


def webhook_events_for_status_change(*, status_change_id: int) -> list[WebhookEvent]:
    """The events a status change makes (``shipment.status_changed`` and its specific type), once each.

    A reason-only change makes ``shipment.status_changed`` alone, with the reason in its data.

    Nothing is recorded for a shop without an active endpoint. Safe to call any number of times.
    """
    status_change = (
        StatusChange.objects.select_related("shipment__order", "shipment__shop").filter(pk=status_change_id).first()
    )
    if status_change is None:
        return []
    shop = status_change.shipment.shop
    if not WebhookEndpoint.objects.filter(shop=shop, is_active=True).exists():
        return []
    event_types = [WebhookEventType.SHIPMENT_STATUS_CHANGED.value]
    specific = STATUS_EVENT_TYPES.get(Status(status_change.to_status)) if status_change.to_status in Status else None
    # A reason-only change (same status, new reason) is news in shipment.status_changed alone: the
    # specific event (delivered, exception...) was sent when the parcel entered the status.
    if specific is not None and not status_change.reason_only:
        event_types.append(specific.value)
    data = _status_change_data(status_change)
    return [
        webhook_event_emit(
            shop=shop,
            event_type=event_type,
            data=data,
            dedupe_key=f"status_change:{status_change.pk}:{event_type}",
            status_change=status_change,
            occurred_at=status_change.occurred_at,
        )
        for event_type in event_types
    ]


def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookEvent:
    """Queue a ``webhook.test`` event to ``endpoint`` alone (for checking the receiver's signature code)."""
    return webhook_event_emit(
        shop=endpoint.shop,
        event_type=WebhookEventType.WEBHOOK_TEST,
        data={"endpoint_id": endpoint.pk, "message": "A test event from Parcelfront."},
        dedupe_key=f"test:{uuid.uuid4().hex}",
        endpoints=[endpoint],
    )


def status_changes_missing_webhooks(*, since: timedelta, grace: timedelta, limit: int) -> QuerySet[StatusChange]:
    """Recent status changes of shops with an active endpoint (older than the change) that made no event."""
    now = timezone.now()
    endpoint_before = WebhookEndpoint.objects.filter(
        shop_id=OuterRef("shipment__shop_id"), is_active=True, created_at__lte=OuterRef("created_at")
    )
    return (
        StatusChange.objects.filter(created_at__gte=now - since, created_at__lte=now - grace)
        .filter(Exists(endpoint_before))
        .exclude(Exists(WebhookEvent.objects.filter(status_change=OuterRef("pk"))))
        .order_by("created_at")[:limit]
    )


def webhook_events_for_bounced_messages(*, since: timedelta, limit: int) -> int:
    """``message.bounced`` events for recent bounces, once per message; returns how many were made.

    Polled by the sweeper (notifications may not import api): shops with an active endpoint
    subscribed before the bounce get one event per bounced message.
    """
    now = timezone.now()
    # Event types are a JSON list (no portable "contains" lookup); active endpoints are few, so filter here.
    subscribed_since: dict[int, datetime] = {}
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).only("shop_id", "created_at", "event_types"):
        if endpoint.wants(WebhookEventType.MESSAGE_BOUNCED):
            first = subscribed_since.get(endpoint.shop_id)
            subscribed_since[endpoint.shop_id] = min(first, endpoint.created_at) if first else endpoint.created_at
    if not subscribed_since:
        return 0
    subscribed = Q()
    for shop_id, created_at in subscribed_since.items():
        subscribed |= Q(shop_id=shop_id, bounced_at__gte=created_at)
    already = WebhookEvent.objects.filter(
        shop_id=OuterRef("shop_id"),
        dedupe_key=Concat(Value("message_bounced:"), Cast(OuterRef("pk"), output_field=CharField())),
    )
    messages = (
        # Customers' messages only: a bounced digest to the shop's own address is no order's news.
        Message.objects.filter(subscribed, bounced_at__gte=now - since, order__isnull=False)
        .exclude(Exists(already))
        .select_related("shop", "order", "shipment")
        .order_by("bounced_at")[:limit]
    )
    made = 0
    for message in messages:
        webhook_event_emit(
            shop=message.shop,
            event_type=WebhookEventType.MESSAGE_BOUNCED,
            dedupe_key=f"message_bounced:{message.pk}",
            occurred_at=message.bounced_at,
            data={
                "message_id": message.pk,
                "to_email": message.to_email,
                "to_status": message.to_status,
                "bounced_at": message.bounced_at.astimezone(UTC).isoformat(),
                "order": {"number": message.order.number},
                "shipment": {"id": message.shipment_id, "tracking_number": message.shipment.tracking_number}
                if message.shipment
                else None,
            },
        )
        made += 1
    return made


# --------------------------------------------------------------------------- delivery


def webhook_deliveries_claim_due(*, limit: int = 200) -> list[tuple[int, str]]:
    """Claim due pending deliveries of active endpoints and enqueue a send for each (on commit)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
            .order_by("next_attempt_at")[:limit]
        )
        claims = _claim(due, now)
        _enqueue(claims)
    return claims


def webhook_body(event: WebhookEvent) -> str:
    """The exact JSON text sent (and signed) for ``event``."""
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)


def webhook_headers(*, endpoint: WebhookEndpoint, event: WebhookEvent, body: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` (v1, HMAC-SHA256)."""
    at_utc = at.astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(at_utc.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(event.event_id, at_utc, body),
    }


def webhook_client() -> httpx.Client:
    """The HTTP client for webhooks: SSRF-safe transport, timeouts, no redirects."""
    return httpx.Client(
        transport=SafeTransport(allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK),
        timeout=REQUEST_TIMEOUT,
        follow_redirects=False,
    )


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt gave: a status code, or an error (and whether retrying could help)."""

    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int
    retryable: bool

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(client: httpx.Client, url: str, body: str, headers: Mapping[str, str]) -> AttemptResult:
    started = time.monotonic()
    try:
        with client.stream("POST", url, content=body.encode(), headers=dict(headers)) as response:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                    break
            status_code = response.status_code
    except BlockedDestination as error:
        return AttemptResult(None, f"refused: {error}", "", _elapsed(started), retryable=False)
    except httpx.TimeoutException as error:
        return AttemptResult(None, f"timeout: {type(error).__name__}", "", _elapsed(started), retryable=True)
    except httpx.HTTPError as error:
        return AttemptResult(None, f"connection error: {error}"[:500], "", _elapsed(started), retryable=True)
    text = excerpt[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")
    # 410 Gone is the receiver saying "stop"; every other failure may be temporary.
    return AttemptResult(status_code, "", text, _elapsed(started), retryable=status_code != 410)


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _retry_delay(attempts: int) -> timedelta:
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (1 + random.uniform(-JITTER, JITTER))


def webhook_delivery_attempt(
    *, delivery_id: int, claim_token: str, client: httpx.Client | None = None
) -> AttemptResult | None:
    """Send a claimed delivery once and record the outcome; None when the claim is no longer ours.

    Consuming the claim token is atomic, so two workers holding the same message never both send.
    """
    consumed = WebhookDelivery.objects.filter(
        pk=delivery_id, claim_token=claim_token, status=DeliveryStatus.PENDING, endpoint__is_active=True
    ).update(claim_token="")
    if not consumed or not claim_token:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint, event = delivery.endpoint, delivery.event
    body = webhook_body(event)
    headers = webhook_headers(endpoint=endpoint, event=event, body=body, at=timezone.now())
    own_client = client is None
    client = client or webhook_client()
    try:
        result = _post(client, endpoint.url, body, headers)
    finally:
        if own_client:
            client.close()
    _attempt_record(delivery=delivery, result=result)
    metrics.webhook_delivery_observed(delivery_status=delivery.status, seconds=result.duration_ms / 1000)
    return result


@transaction.atomic
def _attempt_record(*, delivery: WebhookDelivery, result: AttemptResult) -> None:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=result.status_code,
        error=result.error[:500],
        response_excerpt=result.excerpt,
        duration_ms=result.duration_ms,
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500] or (f"HTTP {result.status_code}" if not result.succeeded else "")
    disable_reason = ""
    if result.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.succeeded_at = now
        delivery.next_attempt_at = None
        endpoint.failing_since = None
    else:
        endpoint.failing_since = endpoint.failing_since or now
        if not result.retryable:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            disable_reason = f"The endpoint refused delivery for good: {delivery.last_error}"
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            disable_reason = (
                f"Every delivery attempt failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC "
                f"(last: {delivery.last_error})."
            )
        else:
            delivery.next_attempt_at = now + _retry_delay(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "status",
            "succeeded_at",
            "next_attempt_at",
        ]
    )
    endpoint.save(update_fields=["failing_since"])
    if disable_reason and endpoint.is_active:
        webhook_endpoint_disable(endpoint=endpoint, reason=disable_reason)


def webhook_deliveries_redeliver(*, deliveries: QuerySet[WebhookDelivery]) -> int:
    """Send the given failed or pending deliveries again now, with a fresh retry schedule.

    Succeeded deliveries are left alone: an event reaches an endpoint successfully at most once.
    Returns how many were queued (those of disabled endpoints wait until it is enabled).
    """
    now = timezone.now()
    with transaction.atomic():
        chosen = list(
            deliveries.select_for_update(of=("self",))
            .exclude(status=DeliveryStatus.SUCCEEDED)
            .select_related("endpoint")
        )
        for delivery in chosen:
            delivery.status = DeliveryStatus.PENDING
            delivery.attempts = 0
        WebhookDelivery.objects.bulk_update(chosen, ["status", "attempts"])
        active = [delivery for delivery in chosen if delivery.endpoint.is_active]
        waiting = [delivery for delivery in chosen if not delivery.endpoint.is_active]
        for delivery in waiting:
            delivery.next_attempt_at = now
            delivery.claim_token = ""
        WebhookDelivery.objects.bulk_update(waiting, ["next_attempt_at", "claim_token"])
        _enqueue(_claim(active, now))
    return len(active)
