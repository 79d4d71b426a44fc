"""ESP tracking events (delivered, opened, bounced ...) -> the Message they are about, once; suppress on hard bounces.

Who may speak about which message: the platform ESP's webhook (``ANYMAIL_WEBHOOK_SECRET``, never
given to a shop) about any message; a shop's own webhook URL (its own token and secret) only about
that shop's messages. An event finds its message by the ESP's message id, never by our sequential
id, and must name the message's recipient. An event that matches nothing is acknowledged, counted
and changes nothing, so a forger learns nothing and the ESP does not retry it forever.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications.models import Message, MessageChannel, MessageEvent, MessageStatus, SuppressionReason
from notifications.reconcile import event_settled_changes
from notifications.unsubscribe import suppression_add

logger = logging.getLogger(__name__)

EVENT_TIMESTAMPS = {
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "unsubscribed": "unsubscribed_at",
}
# Events that prove the ESP took the email; they settle a message of unknown outcome as sent.
ACCEPTED_EVENTS = frozenset({"queued", "sent", "delivered", "opened", "clicked", "deferred", "bounced", "complained"})
SOFT_BOUNCE_TYPES = frozenset({"SoftBounce", "Transient", "DnsError", "AutoResponder"})


UNMATCHED_COUNTER = "notifications:esp_events_unmatched:{day}"


def message_event_record(
    *, event: AnymailTrackingEvent, esp_name: str, shop_id: int | None = None
) -> MessageEvent | None:
    """Record an ESP tracking event on its message once; suppress after a hard bounce or complaint.

    ``shop_id`` is the shop whose own webhook URL received the event (None: the platform ESP's webhook).
    """
    message = _message_for_event(event, shop_id=shop_id)
    if message is None:
        _count_unmatched(esp_name=esp_name, event=event, shop_id=shop_id)
        return None
    occurred_at = event.timestamp or timezone.now()
    event_id = (
        event.event_id
        or hashlib.sha256(
            f"{event.event_type}|{event.message_id}|{occurred_at.isoformat()}|{event.recipient}".encode()
        ).hexdigest()
    )
    try:
        with transaction.atomic():
            recorded = MessageEvent.objects.create(
                message=message,
                esp_name=esp_name[:40],
                event_id=str(event_id)[:200],
                event_type=str(event.event_type)[:20],
                occurred_at=occurred_at,
                recipient=(event.recipient or "")[:254],
                description=" ".join(filter(None, [event.description, event.mta_response]))[:2000],
            )
    except IntegrityError:
        return None  # the ESP retried a webhook we already stored

    changes: dict[str, Any] = {"last_event": event.event_type, "updated_at": timezone.now()}
    stamp = EVENT_TIMESTAMPS.get(event.event_type)
    if stamp and getattr(message, stamp) is None:
        changes[stamp] = occurred_at
    if event.message_id and not message.esp_message_id:
        changes["esp_message_id"] = str(event.message_id)[:200]
    settled = 0
    if event.event_type in ACCEPTED_EVENTS and message.status == MessageStatus.UNKNOWN:
        # Conditional: reconciliation may be deciding about the same message right now.
        settled = Message.objects.filter(pk=message.pk, status=MessageStatus.UNKNOWN).update(
            **changes,
            status=MessageStatus.SENT,
            sent_at=occurred_at,
            reason="",
            **event_settled_changes(event_type=str(event.event_type), now=timezone.now()),
        )
    if not settled:
        Message.objects.filter(pk=message.pk).update(**changes)

    email = message.to_email
    if message.channel != MessageChannel.EMAIL:
        return recorded  # an SMS opt-out is the SMS reports' business (notifications.sms.reports)
    if event.event_type == "bounced" and not _is_soft_bounce(event):
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.BOUNCED)
    elif event.event_type == "complained":
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.COMPLAINED)
    elif event.event_type == "unsubscribed":
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.UNSUBSCRIBED)
    return recorded


def _message_for_event(event: AnymailTrackingEvent, *, shop_id: int | None) -> Message | None:
    scope = Message.objects.all() if shop_id is None else Message.objects.filter(shop_id=shop_id)
    message = scope.filter(esp_message_id=str(event.message_id)).first() if event.message_id else None
    if message is None:
        message = _outcome_unknown_message(event, scope=scope)
    recipient = (event.recipient or "").strip().lower()
    expected = message.to_phone if message is not None and message.channel == MessageChannel.SMS else ""
    if message is None or recipient != (expected or message.to_email).strip().lower():
        return None
    return message


def _outcome_unknown_message(event: AnymailTrackingEvent, *, scope: QuerySet[Message]) -> Message | None:
    # A message whose ESP call got no answer never learned its ESP id; our metadata names it, and only
    # such a message (no ESP id yet) of the same shop may be found this way.
    metadata = event.metadata or {}
    raw_id, raw_shop = str(metadata.get("message_id", "")), str(metadata.get("shop_id", ""))
    if not (raw_id.isdigit() and raw_shop.isdigit()):
        return None
    return scope.filter(pk=int(raw_id), shop_id=int(raw_shop), esp_message_id="").first()


def _count_unmatched(*, esp_name: str, event: AnymailTrackingEvent, shop_id: int | None) -> None:
    key = UNMATCHED_COUNTER.format(day=timezone.now().date().isoformat())
    if not cache.add(key, 1, timeout=8 * 24 * 3600):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=8 * 24 * 3600)
    logger.warning(
        "%s %s event matches no message (ESP id %r, webhook of %s); ignored",
        esp_name,
        event.event_type,
        str(event.message_id or "")[:200],
        f"shop {shop_id}" if shop_id is not None else "the platform",
    )


def _is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get("Type") in SOFT_BOUNCE_TYPES
