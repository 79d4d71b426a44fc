"""Writes of the notifications app: status change → messages → one send each → ESP events → suppressions.

Exactly-once sending rests on the ``Message`` row, never on the broker:

1. ``status_change_process`` creates at most one message per (status change, campaign) — a unique key —
   and marks the status change processed in the same transaction.
2. ``message_send`` *claims* a message with a conditional UPDATE ``queued → sending`` before anything
   else; a second task for the same message (redelivery, a duplicate publish, the release tick) finds
   no ``queued`` row and does nothing.
3. Just before the ESP call it records ``handed_to_esp_at``. A worker lost before that point never
   reached the ESP, so the stuck-message recovery puts the message back in the queue. A worker lost
   after it may have sent the email: with a backend that is idempotent by our message id (the
   database outbox) the message is handed over again; with any other ESP it is marked failed with
   "outcome unknown" and never resent (a duplicate is worse than a rare gap, and an ESP delivery
   event for it later turns it into ``sent``).
4. ESP errors that prove nothing was accepted (HTTP 429 and 5xx, connection refused, connect
   timeout) are retried with exponential backoff, jitter and a cap; other 4xx fail with the reason;
   a read timeout is ambiguous and handled like point 3.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from campaigns.placements import (
    CampaignMessage,
    Placements,
    campaign_message,
    campaign_sends_for_status_change,
    email_placements,
)
from carriers.types import FINAL_STATUSES
from notifications.models import (
    TRANSACTIONAL_KEY,
    Message,
    MessageEvent,
    MessageStatus,
    NotificationSettings,
    Suppression,
    SuppressionReason,
)
from notifications.rendering import (
    URGENT_STATUSES,
    EmailFacts,
    RenderedEmail,
    customer_timezone,
    email_render,
    in_quiet_hours,
    sample_facts,
)
from notifications.selectors import (
    messages_stuck_sending,
    notification_settings_for,
    sent_recently_count,
    status_template_for,
)
from shipments.models import StatusChange
from shops.languages import language_or_default
from shops.models import Shop
from shops.privacy import subject_hash

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
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


# --- From status change to messages ---------------------------------------------------------


def status_change_process(*, status_change_id: int, now: datetime | None = None) -> list[int]:
    """Create the messages a status change causes (once) and return the ids of those due now.

    Safe to run any number of times: the status change row is locked, ``processed_at`` marks it
    done, and messages are unique per (status change, campaign).
    """
    now = now or timezone.now()
    with transaction.atomic():
        change = (
            StatusChange.objects.select_for_update()
            .select_related("shipment__order__shop", "shipment__shop")
            .filter(pk=status_change_id)
            .first()
        )
        if change is None:
            return []
        if change.processed_at is None:
            _messages_create(change=change, now=now)
            change.processed_at = now
            change.save(update_fields=["processed_at"])
        due = Message.objects.filter(status_change=change, status=MessageStatus.QUEUED, send_after__lte=now)
        due_ids = list(due.values_list("pk", flat=True))
        Message.objects.filter(pk__in=due_ids).update(released_at=now)
    return due_ids


def _messages_create(*, change: StatusChange, now: datetime) -> None:
    shipment = change.shipment
    order = shipment.order
    shop = order.shop
    conf = notification_settings_for(shop=shop)
    email = order.customer_email.strip()
    common = {
        "shop": shop,
        "status_change": change,
        "order": order,
        "shipment": shipment,
        "to_status": change.to_status,
        "to_email": email,
        "language": language_or_default(order.effective_locale),
    }
    tz = customer_timezone(country=order.shipping_country, shop_timezone=shop.timezone)

    skip = _transactional_skip_reason(change=change, conf=conf, email=email, now=now)
    if skip:
        Message.objects.create(**common, status=MessageStatus.SKIPPED, reason=skip, send_after=now)
    else:
        newer = (
            Message.objects.filter(shipment=shipment, campaign_key=TRANSACTIONAL_KEY, status_change__gt=change)
            .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED, MessageStatus.SUPPRESSED])
            .exists()
        )
        if newer:
            Message.objects.create(
                **common,
                status=MessageStatus.SUPERSEDED,
                reason="A newer status of this parcel was already emailed",
                send_after=now,
            )
        else:
            message = Message.objects.create(
                **common, send_after=_send_after(status=change.to_status, conf=conf, timezone_name=tz, earliest=now)
            )
            # Rapid successive transitions collapse: older unsent emails about this parcel give way.
            Message.objects.filter(
                shipment=shipment,
                campaign_key=TRANSACTIONAL_KEY,
                status=MessageStatus.QUEUED,
                status_change__lt=change,
            ).exclude(pk=message.pk).update(
                status=MessageStatus.SUPERSEDED,
                reason=f"Superseded by the newer status {change.to_status}",
                updated_at=now,
            )

    if not email:
        return
    # Campaigns chose these sends by each campaign's audience, consent rule included.
    for send in campaign_sends_for_status_change(status_change=change):
        _campaign_message_create(
            change=change, campaign_id=send.campaign_id, variant=send.variant, send_after=send.send_after, now=now
        )


def _campaign_message_create(
    *, change: StatusChange, campaign_id: int, variant: str, send_after: datetime | None, now: datetime
) -> Message:
    """The one message of (status change, campaign): created once, found again on every retry."""
    order = change.shipment.order
    shop = order.shop
    conf = notification_settings_for(shop=shop)
    tz = customer_timezone(country=order.shipping_country, shop_timezone=shop.timezone)
    earliest = max(now, send_after) if send_after else now
    message, _ = Message.objects.get_or_create(
        status_change=change,
        campaign_key=campaign_id,
        defaults={
            "shop": shop,
            "order": order,
            "shipment": change.shipment,
            "to_status": change.to_status,
            "to_email": order.customer_email.strip(),
            "language": language_or_default(order.effective_locale),
            "campaign_id": campaign_id,
            "variant": variant,
            "send_after": _send_after(status="", conf=conf, timezone_name=tz, earliest=earliest),
        },
    )
    return message


def campaign_message_enqueue(
    *, status_change_id: int, campaign_id: int, variant: str, now: datetime | None = None
) -> list[int]:
    """A delayed campaign email came due (published by campaigns): create its message once; ids due now."""
    now = now or timezone.now()
    with transaction.atomic():
        change = StatusChange.objects.select_related("shipment__order__shop").filter(pk=status_change_id).first()
        if change is None or not change.shipment.order.customer_email.strip():
            return []
        message = _campaign_message_create(
            change=change, campaign_id=campaign_id, variant=variant, send_after=None, now=now
        )
        if message.status != MessageStatus.QUEUED or message.send_after > now or message.released_at is not None:
            return []
        Message.objects.filter(pk=message.pk).update(released_at=now)
    return [message.pk]


def _transactional_skip_reason(*, change: StatusChange, conf: NotificationSettings, email: str, now: datetime) -> str:
    if not email:
        return "The order has no customer email"
    if change.to_status not in conf.email_statuses:
        return f"The shop does not email the status {change.to_status}"
    if change.occurred_at < now - timedelta(hours=conf.max_transition_age_hours):
        return f"The transition is older than {conf.max_transition_age_hours} hours"
    first_news = not StatusChange.objects.filter(shipment_id=change.shipment_id, pk__lt=change.pk).exists()
    if first_news and change.to_status in FINAL_STATUSES:
        return f"The shipment was imported already {change.to_status}"
    if sent_recently_count(shipment_id=change.shipment_id, since=now - timedelta(hours=24)) >= (
        conf.daily_cap_per_shipment
    ):
        return f"Daily cap of {conf.daily_cap_per_shipment} emails for this parcel reached"
    return ""


def _send_after(*, status: str, conf: NotificationSettings, timezone_name: str, earliest: datetime) -> datetime:
    # Urgent news (the courier comes today, the parcel waits at a locker) goes at once, even at night:
    # the customer acts on it within hours. Everything else settles, then respects quiet hours.
    if status in URGENT_STATUSES:
        return earliest
    due = earliest + timedelta(seconds=conf.settle_seconds)
    quiet_end = in_quiet_hours(
        moment=due, start=conf.quiet_hours_start, end=conf.quiet_hours_end, timezone=timezone_name
    )
    return quiet_end or due


def messages_release_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim a lease on queued messages that are due and return their ids for publishing."""
    now = now or timezone.now()
    lease = now - timedelta(minutes=2)
    with transaction.atomic():
        due_ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.QUEUED, send_after__lte=now)
            .exclude(released_at__gt=lease)
            .order_by("send_after")
            .values_list("pk", flat=True)[:limit]
        )
        Message.objects.filter(pk__in=due_ids).update(released_at=now)
    return due_ids


def messages_recover_stuck(*, now: datetime | None = None) -> dict[str, int]:
    """Decide the fate of messages whose worker was lost mid-send (see the module docstring)."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    for message in messages_stuck_sending(claimed_before=now - sending_timeout()).select_related("shop"):
        safe = message.handed_to_esp_at is None or _backend_is_idempotent(message.shop)
        if safe:
            updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.QUEUED, send_after=now, released_at=None, handed_to_esp_at=None, updated_at=now
            )
            counts["requeued"] += updated
        else:
            updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.FAILED,
                reason=f"{OUTCOME_UNKNOWN}: the worker was lost during the ESP call; not resent to avoid a "
                "duplicate email (an ESP delivery event will mark it sent)",
                updated_at=now,
            )
            counts["failed"] += updated
    return counts


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    """What ``message_send`` did: the message's status afterwards, and when to try again if at all."""

    status: str
    retry_in: float | None = None


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
    # An erased customer's suppression is kept as the hash of the address (shops.privacy).
    address = message.to_email.lower()
    if Suppression.objects.filter(shop_id=message.shop_id, email__in=[address, subject_hash(address)]).exists():
        queued.update(status=MessageStatus.SUPPRESSED, reason="The address is suppressed for this shop", updated_at=now)
        return SendOutcome(status=MessageStatus.SUPPRESSED)
    if message.is_transactional and _has_newer_transactional(message):
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
        placements = _placements_for(message)
        campaign = _campaign_message_for(message)
        if not message.is_transactional and campaign is None:
            return _fail(message=message, reason="The campaign or its content for this language is gone")
        facts = _facts_for(message, placements, campaign)
        rendered = email_render(facts)
        email = _email_build(message=message, rendered=rendered, unsubscribe_url=facts.unsubscribe_url)
        connection = _connection_for(message.shop)
    except Exception as error:
        logger.exception("message %s could not be rendered", message.pk)
        return _retry_or_fail(message=message, reason=f"Rendering failed: {error}", now=now)

    sending.update(
        subject=rendered.subject[:300],
        text_body=rendered.text,
        html_body=rendered.html,
        marketing_notes="\n".join(placements.notes) if placements else "",
        handed_to_esp_at=timezone.now(),
    )
    try:
        connection.send_messages([email])
    except AnymailRecipientsRefused as error:
        return _fail(message=message, reason=f"The ESP refused the recipient: {error}")
    except AnymailRequestsAPIError as error:
        return _esp_error(message=message, error=error, now=now)
    except AnymailError as error:
        return _fail(message=message, reason=f"ESP error: {error}")
    except Exception as error:
        logger.exception("message %s: unexpected error in the ESP call", message.pk)
        return _ambiguous(message=message, reason=f"{type(error).__name__}: {error}", now=now)

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


def _has_newer_transactional(message: Message) -> bool:
    return (
        Message.objects.filter(
            shipment_id=message.shipment_id,
            campaign_key=TRANSACTIONAL_KEY,
            status_change_id__gt=message.status_change_id,
        )
        .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED, MessageStatus.SUPPRESSED])
        .exists()
    )


def _esp_error(*, message: Message, error: AnymailRequestsAPIError, now: datetime) -> SendOutcome:
    status_code = error.status_code
    if status_code is not None:
        if status_code == 429 or status_code >= 500:
            retry_after = _retry_after(error)
            return _retry_or_fail(
                message=message, reason=f"ESP answered HTTP {status_code}", now=now, retry_after=retry_after
            )
        return _fail(message=message, reason=f"ESP refused the email (HTTP {status_code}): {_esp_text(error)}")
    if _never_reached_esp(error):
        return _retry_or_fail(message=message, reason=f"Could not connect to the ESP: {error.__cause__}", now=now)
    return _ambiguous(message=message, reason=f"No answer from the ESP: {error.__cause__ or error}", now=now)


def _esp_text(error: AnymailRequestsAPIError) -> str:
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
        return _retry_or_fail(message=message, reason=reason, now=now)
    return _fail(message=message, reason=f"{OUTCOME_UNKNOWN}: {reason}; not retried to avoid a duplicate email")


def _retry_or_fail(*, message: Message, reason: str, now: datetime, retry_after: float | None = None) -> SendOutcome:
    if message.attempts >= max_attempts():
        return _fail(message=message, reason=f"Gave up after {message.attempts} attempts: {reason}")
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


def _fail(*, message: Message, reason: str) -> SendOutcome:
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, reason=reason[:2000], updated_at=timezone.now()
    )
    return SendOutcome(status=MessageStatus.FAILED)


def _placements_for(message: Message) -> Placements | None:
    try:
        placements = email_placements(
            status_change=message.status_change, campaign_id=message.campaign_id, language=message.language
        )
    except Exception:
        if not message.is_transactional:
            raise
        # The transactional email always goes, with or without its marketing blocks.
        logger.exception("placements failed for message %s; sending without marketing blocks", message.pk)
        return Placements(notes=("placements failed",))
    # Campaigns already applied each campaign's consent rule (the delay apology is a service message).
    if message.order.marketing_consent or not message.is_transactional:
        return placements
    # Without consent no marketing block, whatever campaigns returned; asking for feedback is not marketing.
    return Placements(feedback_prompt=placements.feedback_prompt, notes=placements.notes)


def _campaign_message_for(message: Message) -> CampaignMessage | None:
    if message.is_transactional:
        return None
    return campaign_message(
        status_change=message.status_change,
        campaign_id=message.campaign_id,
        language=message.language,
        message_id=message.pk,
    )


def _facts_for(message: Message, placements: Placements | None, campaign: CampaignMessage | None = None) -> EmailFacts:
    shipment = message.shipment
    order = message.order
    latest = shipment.events.order_by("-occurred_at", "-pk").first()
    overrides = {}
    template = status_template_for(shop=message.shop, status=message.to_status, language=message.language)
    if message.is_transactional and template is not None:
        overrides = {"subject": template.subject, "heading": template.heading, "body": template.body}
    return EmailFacts(
        shop=message.shop,
        language=message.language,
        status=message.to_status,
        reason=message.status_change.reason,
        customer_name=order.customer_name,
        order_number=order.number,
        order_token=order.public_token,
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        timezone=customer_timezone(country=order.shipping_country, shop_timezone=message.shop.timezone),
        eta_from=shipment.eta_from,
        eta_to=shipment.eta_to,
        pickup_point=shipment.pickup_point if message.to_status == "available_for_pickup" else None,
        latest_event_text=latest.text if latest else "",
        latest_event_location=latest.location if latest else "",
        latest_event_at=latest.occurred_at if latest else None,
        items=tuple(order.items.values_list("name", "quantity")),
        placements=placements,
        unsubscribe_url=unsubscribe_url_for(shop_id=message.shop_id, email=message.to_email),
        overrides=overrides,
        campaign=campaign,
    )


def _email_build(*, message: Message, rendered: RenderedEmail, unsubscribe_url: str) -> EmailMultiAlternatives:
    shop = message.shop
    reply_to = shop.reply_to_email or shop.support_email
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=shop.from_email,
        to=[message.to_email],
        reply_to=[reply_to] if reply_to else None,
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    email.attach_alternative(rendered.html, "text/html")
    email.metadata = {"message_id": str(message.pk), "shop_id": str(shop.pk)}
    # One tag only: several ESPs (Postmark) accept a single tag per message.
    email.tags = [f"status-{message.to_status}" if message.is_transactional else f"campaign-{message.campaign_id}"]
    return email


_connections: dict[str, Any] = {}


def _connection_for(shop: Shop) -> Any:
    """The shop's own ESP connection when it configured one, else the platform's; kept open per process."""
    conf = notification_settings_for(shop=shop)
    backend = conf.esp_backend or settings.EMAIL_BACKEND
    options = conf.esp_secret_options if conf.esp_backend else {}
    key = hashlib.sha256(json.dumps([backend, options], sort_keys=True).encode()).hexdigest()
    connection = _connections.get(key)
    if connection is None:
        connection = get_connection(backend, **options)
        connection.open()
        _connections[key] = connection
    return connection


def _backend_is_idempotent(shop: Shop) -> bool:
    conf = notification_settings_for(shop=shop)
    backend = import_string(conf.esp_backend or settings.EMAIL_BACKEND)
    return bool(getattr(backend, "idempotent", False))


def test_email_send(*, shop: Shop, status: str, language: str, to_email: str) -> str:
    """Send the shop's email for ``status`` in ``language`` on sample data to ``to_email``; the ESP id."""
    template = status_template_for(shop=shop, status=status, language=language)
    overrides = {"subject": template.subject, "heading": template.heading, "body": template.body} if template else {}
    rendered = email_render(sample_facts(shop=shop, status=status, language=language, overrides=overrides))
    email = EmailMultiAlternatives(
        subject=f"[TEST] {rendered.subject}", body=rendered.text, from_email=shop.from_email, to=[to_email]
    )
    email.attach_alternative(rendered.html, "text/html")
    email.metadata = {"shop_id": str(shop.pk), "test": "1"}
    email.tags = ["test"]
    _connection_for(shop).send_messages([email])
    return str(email.anymail_status.message_id or "")


# --- Unsubscribe and suppression ----------------------------------------------------------------


def unsubscribe_url_for(*, shop_id: int, email: str) -> str:
    """The signed one-click unsubscribe link of one address at one shop."""
    token = signing.dumps({"s": shop_id, "e": email.strip().lower()}, salt=UNSUBSCRIBE_SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:unsubscribe', args=[token])}"


def unsubscribe_token_parse(*, token: str) -> tuple[int, str] | None:
    """(shop id, email) of a valid unsubscribe token, or None when it was tampered with."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(payload["s"]), str(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def suppression_add(*, shop_id: int, email: str, reason: str) -> Suppression:
    """Stop emailing ``email`` from this shop (idempotent: the first reason is kept)."""
    suppression, _ = Suppression.objects.get_or_create(
        shop_id=shop_id, email=email.strip().lower(), defaults={"reason": reason}
    )
    return suppression


# --- ESP events -------------------------------------------------------------------------------

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
