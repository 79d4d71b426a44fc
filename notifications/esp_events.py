"""ESP tracking events (delivered, opened, bounced ...) -> the Message they are about, once; suppress on hard bounces."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import Message, MessageEvent, MessageStatus, SuppressionReason
from notifications.sending import OUTCOME_UNKNOWN
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
# Events that prove the ESP took the email; they settle an "outcome unknown" failure as sent.
ACCEPTED_EVENTS = frozenset({"queued", "sent", "delivered", "opened", "clicked", "deferred", "bounced", "complained"})
SOFT_BOUNCE_TYPES = frozenset({"SoftBounce", "Transient", "DnsError", "AutoResponder"})


def message_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> MessageEvent | None:
    """Record an ESP tracking event on its message once; suppress after a hard bounce or complaint."""
    message = _message_for_event(event)
    if message is None:
        logger.info("%s %s event for an unknown message %s", esp_name, event.event_type, event.message_id)
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
    unknown = message.status == MessageStatus.FAILED and message.reason.startswith(OUTCOME_UNKNOWN)
    if event.event_type in ACCEPTED_EVENTS and unknown:
        changes.update(status=MessageStatus.SENT, sent_at=occurred_at, reason="")
    if event.message_id and not message.esp_message_id:
        changes["esp_message_id"] = str(event.message_id)[:200]
    Message.objects.filter(pk=message.pk).update(**changes)

    email = event.recipient or message.to_email
    if event.event_type == "bounced" and not _is_soft_bounce(event):
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.BOUNCED)
    elif event.event_type == "complained":
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.COMPLAINED)
    elif event.event_type == "unsubscribed":
        suppression_add(shop_id=message.shop_id, email=email, reason=SuppressionReason.UNSUBSCRIBED)
    return recorded


def _message_for_event(event: AnymailTrackingEvent) -> Message | None:
    metadata = event.metadata or {}
    raw_id = str(metadata.get("message_id", ""))
    if raw_id.isdigit():
        message = Message.objects.filter(pk=int(raw_id)).first()
        shop_id = str(metadata.get("shop_id", ""))
        if message is not None and (not shop_id or shop_id == str(message.shop_id)):
            return message
    if event.message_id:
        return Message.objects.filter(esp_message_id=str(event.message_id)).first()
    return None


def _is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get("Type") in SOFT_BOUNCE_TYPES
