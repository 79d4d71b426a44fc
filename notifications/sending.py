"""Sending one message at most once: claim, render, hand to the ESP (django-anymail), classify errors, retry.

Exactly-once sending rests on the ``Message`` row, never on the broker:

1. ``notifications.outbox`` creates at most one message per (trigger kind, trigger id, channel,
   campaign) — a unique key — and publishes its send after commit.
2. ``message_send`` *claims* a message with a conditional UPDATE ``queued → sending`` before anything
   else; a second task for the same message (redelivery, a duplicate publish, the release tick) finds
   no ``queued`` row and does nothing.
3. Just before the ESP call it records ``handed_to_esp_at``. A worker lost before that point never
   reached the ESP, so the stuck-message recovery puts the message back in the queue. A worker lost
   after it may have sent the email: with a backend that is idempotent by our message id (the
   database outbox) the message is handed over again; with any other ESP it becomes ``unknown``
   (with the reason) and is never simply retried: ``notifications.reconcile`` asks the provider
   whether it has the email (or waits for its events) and settles it as sent or resends it once.
4. ESP errors that prove nothing was accepted (HTTP 429 and 5xx, connection refused, connect
   timeout) are retried with exponential backoff, jitter and a cap; other 4xx fail with the reason;
   a read timeout is ambiguous and handled like point 3.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from config import metrics
from notifications.content import message_content
from notifications.models import Message, MessageStatus
from notifications.outbox import newer_transactional_exists
from notifications.rendering import RenderedEmail, email_render, sample_facts
from notifications.selectors import messages_stuck_sending, notification_settings_for, status_overrides_for
from notifications.shop_esp import EspDestinationRefused, ShopEspInvalid, shop_esp_connection
from notifications.unsubscribe import is_suppressed
from shops.models import Shop

logger = logging.getLogger(__name__)

OUTCOME_UNKNOWN = "Outcome unknown"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def retry_base_seconds() -> float:
    return _setting("NOTIFICATIONS_RETRY_BASE_SECONDS", 10.0)


def retry_cap_seconds() -> float:
    return _setting("NOTIFICATIONS_RETRY_CAP_SECONDS", 900.0)


def max_attempts() -> int:
    return int(_setting("NOTIFICATIONS_MAX_ATTEMPTS", 8))


def sending_timeout() -> timedelta:
    """How long a claim may last before its worker is presumed lost: past Celery's 300 s hard task time limit."""
    return timedelta(seconds=_setting("NOTIFICATIONS_SENDING_TIMEOUT_SECONDS", 360.0))


def retry_delay(attempt: int, *, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter and a cap; an ESP's Retry-After is a floor."""
    ceiling = min(retry_cap_seconds(), retry_base_seconds() * 2 ** max(attempt - 1, 0))
    delay = random.uniform(ceiling / 2, ceiling)
    return min(max(delay, retry_after or 0.0), retry_cap_seconds())


def messages_recover_stuck(*, now: datetime | None = None) -> dict[str, int]:
    """Decide the fate of messages whose worker was lost mid-send (see the module docstring)."""
    now = now or timezone.now()
    counts = {"requeued": 0, "unknown": 0}
    for message in messages_stuck_sending(claimed_before=now - sending_timeout()).select_related("shop"):
        safe = message.handed_to_esp_at is None or _backend_is_idempotent(message.shop)
        if safe:
            updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.QUEUED, send_after=now, released_at=None, handed_to_esp_at=None, updated_at=now
            )
            counts["requeued"] += updated
        else:
            reason = "the worker was lost during the ESP call"
            counts["unknown"] += message_mark_unknown(message=message, reason=reason, now=now)
    return counts


@dataclass(frozen=True)
class SendOutcome:
    """What ``message_send`` did: the message's status afterwards, and when to try again if at all."""

    status: str
    retry_in: float | None = None


@metrics.message_sends_counted(channel="email")
def message_send(*, message_id: int, now: datetime | None = None) -> SendOutcome:
    """Send one message at most once (claim, render, hand to the ESP, record the result)."""
    now = now or timezone.now()
    message = (
        Message.objects.select_related("shop__notification_settings", "order", "shipment", "status_change")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return SendOutcome(status="missing")
    if message.status != MessageStatus.QUEUED or message.send_after > now:
        return SendOutcome(status=message.status)

    queued = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED)
    if is_suppressed(shop_id=message.shop_id, email=message.to_email):
        queued.update(status=MessageStatus.SUPPRESSED, reason="The address is suppressed for this shop", updated_at=now)
        return SendOutcome(status=MessageStatus.SUPPRESSED)
    if newer_transactional_exists(message=message):
        queued.update(
            status=MessageStatus.SUPERSEDED, reason="A newer status of this parcel has its own email", updated_at=now
        )
        return SendOutcome(status=MessageStatus.SUPERSEDED)
    if not queued.update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now):
        logger.info("message %s was claimed by another worker", message.pk)
        return SendOutcome(status=Message.objects.values_list("status", flat=True).get(pk=message.pk))
    message.attempts += 1  # what the claim just stored; no other worker can touch a claimed row
    sending = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING)

    try:
        content = message_content(message)
        if content is None:
            return message_fail(message=message, reason="The campaign or its content for this language is gone")
        rendered = content.rendered
        email = _email_build(
            shop=message.shop,
            to_email=message.to_email,
            rendered=rendered,
            metadata={"message_id": str(message.pk), "shop_id": str(message.shop_id)},
            tag=_message_tag(message),
            unsubscribe_url=content.unsubscribe_url,
        )
        connection = _connection_for(message.shop)
    except ShopEspInvalid as error:
        return message_fail(message=message, reason=str(error))
    except Exception as error:
        logger.exception("message %s could not be rendered", message.pk)
        return message_retry_or_fail(message=message, reason=f"Rendering failed: {error}", now=now)

    sending.update(
        subject=rendered.subject[:300],
        text_body=rendered.text,
        html_body=rendered.html,
        marketing_notes="\n".join(content.marketing_notes),
        handed_to_esp_at=timezone.now(),
    )
    # A shop's own ESP is a foreign party: what it answers never reaches Message.reason, only our summary.
    foreign = bool(getattr(connection, "shop_owned", False))
    try:
        connection.send_messages([email])
    except AnymailRecipientsRefused as error:
        return message_fail(message=message, reason="The ESP refused the recipient" + ("" if foreign else f": {error}"))
    except AnymailRequestsAPIError as error:
        return _esp_error(message=message, error=error, now=now, foreign=foreign)
    except AnymailError as error:
        return message_fail(message=message, reason=f"ESP error: {type(error).__name__ if foreign else error}")
    except Exception as error:
        logger.exception("message %s: unexpected error in the ESP call", message.pk)
        detail = type(error).__name__ if foreign else f"{type(error).__name__}: {error}"
        return _ambiguous(message=message, reason=detail, now=now)

    status = email.anymail_status
    sending.update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        esp_name=connection.esp_name,
        esp_message_id="" if status.message_id is None else str(status.message_id)[:200],
        reason="",
        updated_at=timezone.now(),
    )
    return SendOutcome(status=MessageStatus.SENT)


def _esp_error(*, message: Message, error: AnymailRequestsAPIError, now: datetime, foreign: bool) -> SendOutcome:
    status_code = error.status_code
    if status_code is not None:
        if status_code == 429 or status_code >= 500:
            retry_after = _retry_after(error)
            return message_retry_or_fail(
                message=message, reason=f"ESP answered HTTP {status_code}", now=now, retry_after=retry_after
            )
        if foreign:
            logger.info("message %s: the shop's ESP refused it with HTTP %s", message.pk, status_code)
            return message_fail(message=message, reason=f"ESP refused the email (HTTP {status_code})")
        return message_fail(message=message, reason=f"ESP refused the email (HTTP {status_code}): {_esp_text(error)}")
    if isinstance(error.__cause__, EspDestinationRefused):
        logger.warning("message %s: the shop's ESP request was refused: %s", message.pk, error.__cause__)
        return message_fail(
            message=message, reason="The shop's ESP address was refused (not the provider's public API)"
        )
    if _never_reached_esp(error):
        detail = "" if foreign else f": {error.__cause__}"
        return message_retry_or_fail(message=message, reason=f"Could not connect to the ESP{detail}", now=now)
    detail = "" if foreign else f": {error.__cause__ or error}"
    return _ambiguous(message=message, reason=f"No answer from the ESP{detail}", now=now)


def _esp_text(error: AnymailRequestsAPIError) -> str:
    """The platform ESP's own error text (our ESP, so support may read it), bounded."""
    response = getattr(error, "response", None)
    text = response.text if response is not None else str(error)
    return " ".join(text.split())[:500]


def _retry_after(error: AnymailRequestsAPIError) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _never_reached_esp(error: BaseException) -> bool:
    """True when the request provably never got to the ESP (refused connection, connect timeout)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        name = type(current).__name__
        if name in {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError", "ConnectionRefusedError"}:
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def _ambiguous(*, message: Message, reason: str, now: datetime) -> SendOutcome:
    # The ESP may have accepted the email: only an idempotent backend may be asked again.
    if _backend_is_idempotent(message.shop):
        return message_retry_or_fail(message=message, reason=reason, now=now)
    message_mark_unknown(message=message, reason=reason, now=now)
    return SendOutcome(status=MessageStatus.UNKNOWN)


def message_mark_unknown(*, message: Message, reason: str, now: datetime) -> int:
    """The provider may or may not have the message: record why; reconciliation settles it (never a plain retry)."""
    return Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.UNKNOWN,
        reason=f"{OUTCOME_UNKNOWN}: {reason}; awaiting reconciliation with the provider"[:2000],
        unknown_since=now,
        updated_at=timezone.now(),
    )


def message_retry_or_fail(
    *, message: Message, reason: str, now: datetime, retry_after: float | None = None
) -> SendOutcome:
    """Queue the message again after a backoff, or fail it once its attempts are spent (any channel)."""
    if message.attempts >= max_attempts():
        return message_fail(message=message, reason=f"Gave up after {message.attempts} attempts: {reason}")
    delay = retry_delay(message.attempts, retry_after=retry_after)
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.QUEUED,
        send_after=now + timedelta(seconds=delay),
        handed_to_esp_at=None,
        released_at=now,
        reason=f"Attempt {message.attempts} failed: {reason}"[:2000],
        updated_at=timezone.now(),
    )
    return SendOutcome(status=MessageStatus.QUEUED, retry_in=delay)


def message_fail(*, message: Message, reason: str) -> SendOutcome:
    """The message will not be sent: record why (any channel)."""
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, reason=reason[:2000], updated_at=timezone.now()
    )
    return SendOutcome(status=MessageStatus.FAILED)


_connections: dict[str, Any] = {}


def _connection_for(shop: Shop) -> Any:
    """The shop's own ESP connection when it configured one, else the platform's; kept open per process."""
    conf = notification_settings_for(shop=shop)
    provider = conf.esp_provider
    options = conf.esp_secret_options if provider else {}
    key = hashlib.sha256(json.dumps([provider or settings.EMAIL_BACKEND, options], sort_keys=True).encode()).hexdigest()
    connection = _connections.get(key)
    if connection is None:
        if provider:
            connection = shop_esp_connection(provider=provider, options=options)
        else:
            connection = get_connection(settings.EMAIL_BACKEND)
            connection.open()
        _connections[key] = connection
    return connection


def _backend_is_idempotent(shop: Shop) -> bool:
    # No shop ESP is idempotent by our message id; only the platform's backend may say it is.
    if notification_settings_for(shop=shop).esp_provider:
        return False
    return bool(getattr(import_string(settings.EMAIL_BACKEND), "idempotent", False))


def _message_tag(message: Message) -> str:
    if not message.is_transactional:
        return f"campaign-{message.campaign_id}"
    if message.is_status_change:
        return f"status-{message.to_status}"
    return f"{message.trigger_kind}-{message.template}"


def _email_build(
    *,
    shop: Shop,
    to_email: str,
    rendered: RenderedEmail,
    metadata: dict[str, str],
    tag: str,
    unsubscribe_url: str = "",
) -> EmailMultiAlternatives:
    """The one way an email is put together: the shop as sender, both parts, metadata for the ESP's webhooks."""
    reply_to = shop.reply_to_email or shop.support_email
    headers = (
        {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        if unsubscribe_url
        else {}
    )
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=shop.from_email,
        to=[to_email],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    email.attach_alternative(rendered.html, "text/html")
    email.metadata = metadata
    # One tag only: several ESPs (Postmark) accept a single tag per message.
    email.tags = [tag]
    return email


def message_send_test(*, shop: Shop, status: str, language: str, to_email: str) -> str:
    """Send the shop's email for ``status`` in ``language`` on sample data to ``to_email`` (a person testing); the ESP id."""
    overrides = status_overrides_for(shop=shop, status=status, language=language)
    rendered = email_render(sample_facts(shop=shop, status=status, language=language, overrides=overrides))
    email = _email_build(
        shop=shop,
        to_email=to_email,
        rendered=replace(rendered, subject=f"[TEST] {rendered.subject}"),
        metadata={"shop_id": str(shop.pk), "test": "1"},
        tag="test",
    )
    _connection_for(shop).send_messages([email])
    return str(email.anymail_status.message_id or "")
