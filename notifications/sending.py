"""Sending messages at most once: claim, render, hand to the ESP (django-anymail), classify errors, retry.

Exactly-once sending rests on the ``Message`` row, never on the broker:

1. ``notifications.outbox`` creates at most one message per (trigger kind, trigger id, channel,
   campaign) — a unique key — and publishes its send after commit (alone, or in a batch task).
2. ``messages_send`` *claims* messages with a conditional UPDATE ``queued → sending`` before anything
   else; a second task for the same message (redelivery, a duplicate publish, the release tick) finds
   no ``queued`` row and does nothing.
3. The claim also records ``handed_to_esp_at``: from then on the batch's ESP calls may start (they
   overlap with rendering the batch's later messages). A worker lost with ``handed_to_esp_at`` unset
   never reached the ESP, so the stuck-message recovery puts the message back in the queue. A worker
   lost after it may have sent the email: with a backend that is idempotent by our message id (the
   database outbox) the message is handed over again; with any other ESP it becomes ``unknown``
   (with the reason) and is never simply retried: ``notifications.reconcile`` asks the provider
   whether it has the email (or waits for its events) and settles it as sent or resends it once. A
   task stopped by its time limit sorts its batch itself: the call in flight is ``unknown``, the
   calls never started go back to the queue.
4. ESP errors that prove nothing was accepted (HTTP 429 and 5xx, connection refused, connect
   timeout) are retried with exponential backoff, jitter and a cap; other 4xx fail with the reason;
   a read timeout is ambiguous and handled like point 3.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from anymail.backends.base_requests import AnymailRequestsBackend
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from config import metrics
from config.sql import rows_update
from notifications.content import message_content
from notifications.esp_errors import esp_error_text, esp_retry_after, never_reached_esp
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.outbox import messages_with_newer_transactional
from notifications.prefetch import RenderLookups, messages_for_sending
from notifications.rendering import RenderedEmail, email_render, sample_facts
from notifications.selectors import messages_stuck_sending, notification_settings_for, status_overrides_for
from notifications.shop_esp import EspDestinationRefused, ShopEspInvalid, shop_esp_connection
from notifications.unsubscribe import suppressed_among
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
            counts["requeued"] += message_requeue(message=message, now=now)
        else:
            reason = "the worker was lost during the ESP call"
            counts["unknown"] += message_mark_unknown(message=message, reason=reason, now=now)
    return counts


@dataclass(frozen=True)
class SendOutcome:
    """What ``message_send`` did: the message's status afterwards, and when to try again if at all."""

    status: str
    retry_in: float | None = None


def message_send(*, message_id: int, now: datetime | None = None) -> SendOutcome:
    """Send one message at most once: a batch of one."""
    return messages_send(message_ids=[message_id], now=now)[message_id]


CLAIM_CHUNK = 50  # messages claimed, read and recorded together; a task's ids are worked through chunk by chunk


def messages_send(*, message_ids: Sequence[int], now: datetime | None = None) -> dict[int, SendOutcome]:
    """Send each of these email messages at most once; every id's outcome (see the module docstring).

    The ids are worked through in chunks of ``CLAIM_CHUNK``, each a fixed number of queries whatever its
    size: one read of the messages with what rendering needs, one of suppressions and one of newer emails,
    one claim (``queued → sending``), one read per kind of what the emails show, one write of the bodies
    and results. Rendering happens here while a courier thread makes the ESP calls (the calls it has not
    started when their chunk is settled are made here, meanwhile), and the chunks overlap: the next chunk
    is claimed and rendered while this one's emails are still going out, and a chunk is recorded while
    the next one's go. Each message keeps its own fate: one that fails to render
    or that the ESP refuses is retried or failed alone. A worker lost mid-way leaves its claimed messages
    to the stuck recovery, which makes them ``unknown`` for reconciliation, exactly as a single lost send.
    """
    now = now or timezone.now()
    outcomes = {message_id: SendOutcome(status="missing") for message_id in message_ids}
    ids = list(dict.fromkeys(message_ids))
    unsettled: list[_Handed] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="esp-courier") as courier:
        try:
            for first in range(0, len(ids), CLAIM_CHUNK):
                claimed = _claimed(ids[first : first + CLAIM_CHUNK], now=now, outcomes=outcomes)
                unsettled.append(_render_and_hand(claimed, courier=courier, now=now, outcomes=outcomes))
                if len(unsettled) > 1:  # the previous chunk's answers, while this chunk's emails go out
                    _settle(unsettled[0], now=now, outcomes=outcomes)
                    unsettled.pop(0)
            while unsettled:
                _settle(unsettled[0], now=now, outcomes=outcomes)
                unsettled.pop(0)
        except BaseException:
            # Stopped (the task's soft time limit) or failed outside any one ESP call: an email whose call
            # started may have been accepted; one whose call never started certainly was not.
            for handed in unsettled:
                _interrupt(handed, now=now, outcomes=outcomes)
            raise
        finally:
            for outcome in outcomes.values():
                metrics.message_send_observed(channel=MessageChannel.EMAIL, status=outcome.status)
    return outcomes


def _claimed(message_ids: list[int], *, now: datetime, outcomes: dict[int, SendOutcome]) -> list[Message]:
    """The chunk's messages that are due, wanted and claimed by this worker; every other id's outcome recorded."""
    due = []
    for message in messages_for_sending(message_ids=message_ids):
        if (
            message.channel != MessageChannel.EMAIL
            or message.status != MessageStatus.QUEUED
            or message.send_after > now
        ):
            outcomes[message.pk] = SendOutcome(status=message.status)
        else:
            due.append(message)
    return _claim(_drop_unwanted(due, now=now, outcomes=outcomes), now=now, outcomes=outcomes)


def _drop_unwanted(messages: list[Message], *, now: datetime, outcomes: dict[int, SendOutcome]) -> list[Message]:
    """Suppressed addresses and outdated status emails are settled without sending; the rest is returned."""
    suppressed = suppressed_among(pairs=[(message.shop_id, message.to_email) for message in messages])
    outdated = messages_with_newer_transactional(messages=messages)
    wanted = []
    for message in messages:
        if (message.shop_id, message.to_email) in suppressed:
            status, reason = MessageStatus.SUPPRESSED, "The address is suppressed for this shop"
        elif message.pk in outdated:
            status, reason = MessageStatus.SUPERSEDED, "A newer status of this parcel has its own email"
        else:
            wanted.append(message)
            continue
        Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=status, reason=reason, updated_at=now
        )
        outcomes[message.pk] = SendOutcome(status=status)
    return wanted


def _claim(messages: list[Message], *, now: datetime, outcomes: dict[int, SendOutcome]) -> list[Message]:
    """Claim the queued ones (a locking read that skips rows others hold, then one UPDATE); others' are left alone."""
    if not messages:
        return []
    ids = [message.pk for message in messages]
    with transaction.atomic():
        # Rows another worker holds are skipped, not waited for; a row it already claimed is no longer queued.
        won = set(
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=MessageStatus.QUEUED)
            .values_list("pk", flat=True)
        )
        # Handed over from here: the batch's ESP calls start while later messages are still being rendered.
        Message.objects.filter(pk__in=won).update(
            status=MessageStatus.SENDING,
            claimed_at=now,
            handed_to_esp_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    if lost := [pk for pk in ids if pk not in won]:
        logger.info("messages %s were claimed by another worker", lost)
        for pk, status in Message.objects.filter(pk__in=lost).values_list("pk", "status"):
            outcomes[pk] = SendOutcome(status=status)
    claimed = [message for message in messages if message.pk in won]
    for message in claimed:  # what the claim just stored; no other worker touches a claimed row
        message.status, message.claimed_at, message.attempts = MessageStatus.SENDING, now, message.attempts + 1
        message.handed_to_esp_at = now
    return claimed


BODY_FIELDS = ("subject", "text_body", "html_body", "marketing_notes")
SENT_FIELDS = ("status", "sent_at", "esp_name", "esp_message_id", "reason", "updated_at")


@dataclass(frozen=True)
class _Prepared:
    """A claimed message rendered and built into the email its ESP connection will send."""

    message: Message
    email: EmailMultiAlternatives
    connection: Any


@dataclass
class _Handed:
    """A chunk on its way: the emails rendered, their ESP calls not yet answered, those known sent."""

    rendered: list[Message] = field(default_factory=list)
    waiting: list[tuple[_Prepared, Future[Any]]] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)


def _render_and_hand(
    messages: list[Message], *, courier: ThreadPoolExecutor, now: datetime, outcomes: dict[int, SendOutcome]
) -> _Handed:
    """Render each claimed message and hand it to the courier, which makes the ESP calls meanwhile.

    Rendering is CPU work and an ESP call mostly waits on the network, so the two overlap: while the
    courier waits for the ESP's answer about one email, this thread renders the next. Only this thread
    touches the database: the courier makes the HTTP calls and nothing else.
    """
    handed = _Handed()
    if not messages:
        return handed
    try:
        lookups = RenderLookups.load(messages)
    except Exception as error:
        logger.exception("the batch's rendering data could not be read")
        for message in messages:
            outcomes[message.pk] = message_retry_or_fail(message=message, reason=f"Rendering failed: {error}", now=now)
        return handed
    connections: dict[int, Any] = {}  # per shop: its ESP connection, looked up once per chunk
    for message in messages:
        item = _prepared(message, lookups=lookups, connections=connections, now=now, outcomes=outcomes)
        if item is not None:
            handed.rendered.append(item.message)
            handed.waiting.append((item, _esp_call(item, courier=courier)))
    return handed


def _settle(handed: _Handed, *, now: datetime, outcomes: dict[int, SendOutcome]) -> None:
    """Classify the chunk's ESP answers in order, then record the bodies and the sent results.

    Calls the courier has not started by now are taken back and made here, last first, while the courier
    goes on from the front: the two threads then wait for the ESP at the same time instead of this one
    idling until the courier is through (the courier falls behind because it waits for the GIL after
    every network read).
    """
    for index in range(len(handed.waiting) - 1, -1, -1):
        item, answer = handed.waiting[index]
        if not answer.cancel():
            break  # the courier works in order: it has started this one, so it is done with those before
        started: Future[Any] = Future()
        started.set_running_or_notify_cancel()  # started: if this thread is stopped mid-call, the call is unknown
        handed.waiting[index] = (item, started)
        _call(item, answer=started)
    while handed.waiting:
        item, answer = handed.waiting[0]
        outcome = _esp_outcome(item, answer, now=now)
        handed.waiting.pop(0)
        outcomes[item.message.pk] = outcome
        if outcome.status == MessageStatus.SENT:
            handed.sent.append(item.message)
    _record(handed)


def _interrupt(handed: _Handed, *, now: datetime, outcomes: dict[int, SendOutcome]) -> None:
    """Sort out a chunk left mid-way: unanswered calls that started are unknown, those never started requeued."""
    for item, answer in handed.waiting:
        if answer.cancel():
            message_requeue(message=item.message, now=now, attempt_spent=False)
            outcomes[item.message.pk] = SendOutcome(status=MessageStatus.QUEUED, retry_in=0.0)
        else:
            outcomes[item.message.pk] = _ambiguous(message=item.message, reason="the send was interrupted", now=now)
    handed.waiting.clear()
    _record(handed)


def _record(handed: _Handed) -> None:
    """What was sent, with its body; what was rendered but not sent keeps its body for support to read."""
    rows_update(handed.sent, [*BODY_FIELDS, *SENT_FIELDS])
    rows_update([message for message in handed.rendered if message.status != MessageStatus.SENT], BODY_FIELDS)


def _prepared(
    message: Message,
    *,
    lookups: RenderLookups,
    connections: dict[int, Any],
    now: datetime,
    outcomes: dict[int, SendOutcome],
) -> _Prepared | None:
    """The message rendered and built, or None when it cannot be (its outcome recorded: retried or failed alone)."""
    try:
        content = message_content(message, lookups)
        if content is None:
            outcomes[message.pk] = message_fail(
                message=message, reason="The campaign or its content for this language is gone", reached_esp=False
            )
            return None
        email = _email_build(
            shop=message.shop,
            to_email=message.to_email,
            rendered=content.rendered,
            metadata={"message_id": str(message.pk), "shop_id": str(message.shop_id)},
            tag=_message_tag(message),
            unsubscribe_url=content.unsubscribe_url,
        )
        connection = connections.get(message.shop_id) or connections.setdefault(
            message.shop_id, _connection_for(message.shop)
        )
    except ShopEspInvalid as error:
        outcomes[message.pk] = message_fail(message=message, reason=str(error), reached_esp=False)
        return None
    except Exception as error:
        logger.exception("message %s could not be rendered", message.pk)
        outcomes[message.pk] = message_retry_or_fail(message=message, reason=f"Rendering failed: {error}", now=now)
        return None
    message.subject = content.rendered.subject[:300]
    message.text_body, message.html_body = content.rendered.text, content.rendered.html
    message.marketing_notes = "\n".join(content.marketing_notes)
    return _Prepared(message=message, email=email, connection=connection)


def _esp_call(item: _Prepared, *, courier: ThreadPoolExecutor) -> Future[Any]:
    """Start the ESP call: an HTTP API (anymail's requests backends) on the courier thread; any other here and now.

    Other backends may write to the database (the outbox backend) or to test state, which belongs to
    this thread's connection and transaction.
    """
    if isinstance(item.connection, AnymailRequestsBackend):
        return courier.submit(item.connection.send_messages, [item.email])
    answer: Future[Any] = Future()
    answer.set_running_or_notify_cancel()
    _call(item, answer=answer)
    return answer


def _call(item: _Prepared, *, answer: Future[Any]) -> None:
    """Make the ESP call here and now, its answer (or error) into ``answer``.

    Stopped mid-call (the task's soft time limit), the answer stays unset: the batch is sorted out with
    this call started and unanswered, so its email becomes unknown.
    """
    try:
        answer.set_result(item.connection.send_messages([item.email]))
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        answer.set_exception(error)


def _esp_outcome(item: _Prepared, answer: Future[Any], *, now: datetime) -> SendOutcome:
    """Classify the ESP's answer about one email (a success is recorded by the caller, with the batch's)."""
    message, email, connection = item.message, item.email, item.connection
    # A shop's own ESP is a foreign party: what it answers never reaches Message.reason, only our summary.
    foreign = bool(getattr(connection, "shop_owned", False))
    try:
        answer.result()
    except AnymailRecipientsRefused as error:
        return message_fail(message=message, reason="The ESP refused the recipient" + ("" if foreign else f": {error}"))
    except AnymailRequestsAPIError as error:
        return _esp_error(message=message, error=error, now=now, foreign=foreign)
    except AnymailError as error:
        return message_fail(message=message, reason=f"ESP error: {type(error).__name__ if foreign else error}")
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        logger.exception("message %s: unexpected error in the ESP call", message.pk)
        detail = type(error).__name__ if foreign else f"{type(error).__name__}: {error}"
        return _ambiguous(message=message, reason=detail, now=now)
    status = email.anymail_status
    message.status, message.sent_at, message.reason = MessageStatus.SENT, timezone.now(), ""
    message.esp_name = connection.esp_name
    message.esp_message_id = "" if status.message_id is None else str(status.message_id)[:200]
    message.updated_at = message.sent_at
    return SendOutcome(status=MessageStatus.SENT)


def _esp_error(*, message: Message, error: AnymailRequestsAPIError, now: datetime, foreign: bool) -> SendOutcome:
    status_code = error.status_code
    if status_code is not None:
        if status_code == 429 or status_code >= 500:
            retry_after = esp_retry_after(error)
            return message_retry_or_fail(
                message=message, reason=f"ESP answered HTTP {status_code}", now=now, retry_after=retry_after
            )
        if foreign:
            logger.info("message %s: the shop's ESP refused it with HTTP %s", message.pk, status_code)
            return message_fail(message=message, reason=f"ESP refused the email (HTTP {status_code})")
        return message_fail(
            message=message, reason=f"ESP refused the email (HTTP {status_code}): {esp_error_text(error)}"
        )
    if isinstance(error.__cause__, EspDestinationRefused):
        logger.warning("message %s: the shop's ESP request was refused: %s", message.pk, error.__cause__)
        return message_fail(
            message=message, reason="The shop's ESP address was refused (not the provider's public API)"
        )
    if never_reached_esp(error):
        detail = "" if foreign else f": {error.__cause__}"
        return message_retry_or_fail(message=message, reason=f"Could not connect to the ESP{detail}", now=now)
    detail = "" if foreign else f": {error.__cause__ or error}"
    return _ambiguous(message=message, reason=f"No answer from the ESP{detail}", now=now)


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
        # Retried only when nothing was accepted, so giving up leaves no hand-over behind.
        return message_fail(
            message=message, reason=f"Gave up after {message.attempts} attempts: {reason}", reached_esp=False
        )
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


def message_requeue(*, message: Message, now: datetime, attempt_spent: bool = True) -> int:
    """Put a claimed message back in the queue, due now (any channel); 1 when it was still claimed, else 0.

    ``attempt_spent`` False gives the claim's attempt back: its call never started (a stopped batch).
    """
    attempts = {} if attempt_spent else {"attempts": F("attempts") - 1}
    return Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.QUEUED, send_after=now, released_at=None, handed_to_esp_at=None, updated_at=now, **attempts
    )


def message_fail(*, message: Message, reason: str, reached_esp: bool = True) -> SendOutcome:
    """The message will not be sent: record why (any channel); ``reached_esp`` False clears the hand-over time."""
    extra = {} if reached_esp else {"handed_to_esp_at": None}
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, reason=reason[:2000], updated_at=timezone.now(), **extra
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
