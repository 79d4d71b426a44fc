"""The message outbox: one ``Message`` row per (trigger kind, trigger id, channel, campaign), published once due.

Any app asks for a message through :func:`message_request` (notifications never imports the asking
app); status changes go through the same service, with the rules notifications itself owns for them
(which statuses and reasons email, quiet hours, the daily cap, collapsing rapid transitions). The row is the
promise: the unique key makes a repeated request a no-op, the send is published after commit, and
the release tick re-publishes whatever a lost publish left behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from campaigns.dispatch import campaign_dispatches_claim
from carriers.types import FINAL_STATUSES
from config.celery import publish_on_commit
from notifications.models import (
    STATUS_CHANGE_TRIGGER,
    TRANSACTIONAL_KEY,
    Message,
    MessageChannel,
    MessageStatus,
    NotificationSettings,
)
from notifications.rendering import URGENT_STATUSES, customer_timezone, in_quiet_hours
from notifications.selectors import notification_settings_for, sent_recently_count
from notifications.sms.plan import status_change_sms_plan
from shipments.models import Direction, Order, Shipment, StatusChange
from shops.languages import language_or_default
from shops.models import Shop

SEND_TASK = "notifications.send_message"
SEND_BATCH_TASK = "notifications.send_messages"
# How a message may be stored when asked for: due to send, or decided against with a reason support reads.
REQUESTABLE_STATUSES = frozenset({MessageStatus.QUEUED, MessageStatus.SKIPPED, MessageStatus.SUPERSEDED})
RELEASE_LEASE = timedelta(minutes=2)


def message_request(
    *,
    shop: Shop,
    trigger_kind: str,
    trigger_id: int,
    channel: str,
    recipient: str,
    template: str,
    language: str,
    context: dict[str, Any],
    order: Order | None,
    shipment: Shipment | None = None,
    campaign: int | None = None,
    variant: str = "",
    to_status: str = "",
    send_at: datetime | None = None,
    status: str = MessageStatus.QUEUED,
    reason: str = "",
    now: datetime | None = None,
) -> Message:
    """The one message of (trigger kind, trigger id, channel, campaign): created once, its send published after commit.

    Idempotent on that key: a repeated call returns the stored message unchanged (and re-publishes it
    when it is still queued and due, since the first publish may have been lost; the claim in
    ``message_send`` makes the extra task a no-op). ``status`` SKIPPED or SUPERSEDED with a ``reason``
    records a message decided against, so support sees why nothing went. ``order`` is None only for
    a message to the shop itself (a digest), which no order's erasure or page concerns.
    """
    if channel not in MessageChannel.values:
        raise ValueError(f"No sender for the channel {channel!r}")
    if status not in REQUESTABLE_STATUSES:
        raise ValueError(f"A message cannot be requested as {status!r}")
    now = now or timezone.now()
    key = {
        "trigger_kind": trigger_kind,
        "trigger_id": trigger_id,
        "channel": channel,
        "campaign_key": TRANSACTIONAL_KEY if campaign is None else campaign,
    }
    fields = {
        "shop": shop,
        "status_change_id": trigger_id if trigger_kind == STATUS_CHANGE_TRIGGER else None,
        "order": order,
        "shipment": shipment,
        "campaign_id": campaign,
        "variant": variant,
        "to_status": to_status,
        "to_email": recipient.strip() if channel == MessageChannel.EMAIL else "",
        "to_phone": recipient.strip() if channel == MessageChannel.SMS else "",
        "language": language_or_default(language),
        "template": template,
        "context": context,
        "status": status,
        "reason": reason,
        "send_after": send_at or now,
    }
    with transaction.atomic():
        message = Message.objects.filter(**key).first()
        if message is None:
            try:
                # A savepoint: a concurrent request for the same key loses the race and reads the winner.
                with transaction.atomic():
                    message = Message.objects.create(**key, **fields)
            except IntegrityError:
                message = Message.objects.get(**key)
        _publish_if_due(message, now=now)
    return message


def send_batch_size() -> int:
    """How many email messages one sending task carries (claimed, rendered and recorded in chunks of 50)."""
    return max(1, int(getattr(settings, "NOTIFICATIONS_SEND_BATCH", 200)))


_collected_sends: ContextVar[list[int] | None] = ContextVar("collected_sends", default=None)


@contextmanager
def sends_batched() -> Iterator[None]:
    """Inside the block, the due emails' sends are collected and published as batch tasks when it ends.

    A poll batch's status changes make many emails at once; one task per ``send_batch_size()`` of them
    claims, renders and records them together. Each message is still its own row and claim, so a lost
    batch publish is found again by the release tick like a lost single one. SMS are published one by one.
    """
    collected: list[int] = []
    token = _collected_sends.set(collected)
    try:
        yield
    finally:
        _collected_sends.reset(token)
        sends_publish(email_ids=collected)


def sends_publish(*, email_ids: list[int], sms_ids: Iterable[int] = ()) -> None:
    """Publish after commit: the emails in batches of ``send_batch_size()``, each SMS alone."""
    size = send_batch_size()
    for first in range(0, len(email_ids), size):
        publish_on_commit(SEND_BATCH_TASK, message_ids=email_ids[first : first + size])
    for message_id in sms_ids:
        publish_on_commit(SEND_TASK, message_id=message_id)


def _publish_if_due(message: Message, *, now: datetime) -> bool:
    if message.status != MessageStatus.QUEUED or message.send_after > now:
        return False
    Message.objects.filter(pk=message.pk).update(released_at=now)
    message.released_at = now
    collected = _collected_sends.get()
    if collected is not None and message.channel == MessageChannel.EMAIL:
        collected.append(message.pk)
    else:
        publish_on_commit(SEND_TASK, message_id=message.pk)
    return True


# --- Status changes ---------------------------------------------------------------------------


def status_change_process(*, status_change_id: int, now: datetime | None = None) -> list[int]:
    """Create the messages a status change causes (once), publish those due now and return their ids.

    Safe to run any number of times: the status change row is locked, ``processed_at`` marks it
    done, and each message is unique per (status change, channel, campaign). A rerun re-publishes
    the due messages, since the first publish may have been lost.
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
        first_run = change.processed_at is None
        if first_run:
            _messages_create(change=change, now=now)
            _sms_create(change=change, now=now)
            change.processed_at = now
            change.save(update_fields=["processed_at"])
        due = Message.objects.filter(status_change=change, status=MessageStatus.QUEUED, send_after__lte=now)
        due_ids = list(due.values_list("pk", flat=True))
        if not first_run:
            for message in Message.objects.filter(pk__in=due_ids):
                _publish_if_due(message, now=now)
    return due_ids


def _messages_create(*, change: StatusChange, now: datetime) -> None:
    shipment = change.shipment
    order = shipment.order
    shop = order.shop
    conf = notification_settings_for(shop=shop)
    email = order.customer_email.strip()
    tz = customer_timezone(country=order.shipping_country, shop_timezone=shop.timezone)

    def request(**fields: Any) -> Message:
        return message_request(
            shop=shop,
            trigger_kind=STATUS_CHANGE_TRIGGER,
            trigger_id=change.pk,
            channel=MessageChannel.EMAIL,
            recipient=email,
            template="status",
            language=order.effective_locale,
            context={},
            order=order,
            shipment=shipment,
            to_status=change.to_status,
            now=now,
            **fields,
        )

    skip = _transactional_skip_reason(change=change, conf=conf, email=email, now=now)
    if skip:
        request(status=MessageStatus.SKIPPED, reason=skip, send_at=now)
    elif _newer_transactional(shipment_ids=[shipment.pk], status_change_id=change.pk).exists():
        request(
            status=MessageStatus.SUPERSEDED, reason="A newer status of this parcel was already emailed", send_at=now
        )
    else:
        # Rapid successive transitions collapse: older unsent emails about this parcel give way.
        Message.objects.filter(
            shipment=shipment,
            trigger_kind=STATUS_CHANGE_TRIGGER,
            campaign_key=TRANSACTIONAL_KEY,
            status=MessageStatus.QUEUED,
            status_change__lt=change,
        ).update(
            status=MessageStatus.SUPERSEDED,
            reason=f"Superseded by the newer status {change.to_status}",
            updated_at=now,
        )
        request(send_at=_send_after(status=change.to_status, conf=conf, timezone_name=tz, earliest=now))

    if not email:
        return
    # Campaigns chose these sends by each campaign's audience, consent rule included.
    for send in campaign_dispatches_claim(status_change=change):
        _campaign_message_request(
            change=change, campaign_id=send.campaign_id, variant=send.variant, send_after=send.send_after, now=now
        )


def _sms_create(*, change: StatusChange, now: datetime) -> None:
    """The status change's SMS (a second channel, same key rules), when the shop texts about it."""
    plan = status_change_sms_plan(change=change, now=now)
    if plan is None:
        return
    order = change.shipment.order
    message_request(
        shop=order.shop,
        trigger_kind=STATUS_CHANGE_TRIGGER,
        trigger_id=change.pk,
        channel=MessageChannel.SMS,
        recipient=plan.recipient,
        template="status",
        language=order.effective_locale,
        context={},
        order=order,
        shipment=change.shipment,
        to_status=change.to_status,
        send_at=plan.send_at,
        status=plan.status,
        reason=plan.reason,
        now=now,
    )


def messages_with_newer_transactional(*, messages: Iterable[Message]) -> set[int]:
    """Ids of the transactional status emails among ``messages`` that a newer status's email outdates (one query)."""
    asking = [message for message in messages if message.is_status_change and message.is_transactional]
    if not asking:
        return set()
    # The newest live transactional email per parcel decides for every older one of that parcel.
    newest = dict(
        _newer_transactional(shipment_ids={message.shipment_id for message in asking}, status_change_id=None)
        .order_by()
        .values("shipment_id")
        .annotate(newest=Max("status_change_id"))
        .values_list("shipment_id", "newest")
    )
    return {
        message.pk for message in asking if (newest.get(message.shipment_id) or 0) > (message.status_change_id or 0)
    }


def _newer_transactional(*, shipment_ids: Iterable[int | None], status_change_id: int | None) -> QuerySet[Message]:
    """Live transactional status emails of these parcels, newer than ``status_change_id`` when one is given."""
    newer = Message.objects.filter(
        shipment_id__in=list(shipment_ids), trigger_kind=STATUS_CHANGE_TRIGGER, campaign_key=TRANSACTIONAL_KEY
    ).exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED, MessageStatus.SUPPRESSED])
    return newer if status_change_id is None else newer.filter(status_change_id__gt=status_change_id)


def _campaign_message_request(
    *, change: StatusChange, campaign_id: int, variant: str, send_after: datetime | None, now: datetime
) -> Message:
    """The one message of (status change, campaign): created once, found again on every retry."""
    order = change.shipment.order
    shop = order.shop
    conf = notification_settings_for(shop=shop)
    tz = customer_timezone(country=order.shipping_country, shop_timezone=shop.timezone)
    earliest = max(now, send_after) if send_after else now
    return message_request(
        shop=shop,
        trigger_kind=STATUS_CHANGE_TRIGGER,
        trigger_id=change.pk,
        channel=MessageChannel.EMAIL,
        recipient=order.customer_email,
        template="status",
        language=order.effective_locale,
        context={},
        order=order,
        shipment=change.shipment,
        campaign=campaign_id,
        variant=variant,
        to_status=change.to_status,
        send_at=_send_after(status="", conf=conf, timezone_name=tz, earliest=earliest),
        now=now,
    )


def campaign_message_enqueue(
    *, status_change_id: int, campaign_id: int, variant: str, now: datetime | None = None
) -> list[int]:
    """A delayed campaign email came due (published by campaigns): create its message once; ids published now."""
    now = now or timezone.now()
    with transaction.atomic():
        change = StatusChange.objects.select_related("shipment__order__shop").filter(pk=status_change_id).first()
        if change is None or not change.shipment.order.customer_email.strip():
            return []
        message = _campaign_message_request(
            change=change, campaign_id=campaign_id, variant=variant, send_after=None, now=now
        )
    return [message.pk] if message.released_at == now else []


def _transactional_skip_reason(*, change: StatusChange, conf: NotificationSettings, email: str, now: datetime) -> str:
    if not email:
        return "The order has no customer email"
    if change.shipment.direction == Direction.RETURN:
        # The returns app tells the customer about the return leg in its own words, never "on its way to you".
        return "Return parcels are emailed about by the returns app"
    if change.reason_only:
        # Only the reasons the shop chose; a carrier reports many a customer cannot act on.
        if change.reason not in conf.reason_emails:
            return f"The shop does not email the reason {change.reason or '(none)'}"
    elif change.to_status not in conf.email_statuses:
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


# --- The release tick -------------------------------------------------------------------------


def messages_release_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim a lease on queued messages that are due, publish their sends and return their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.QUEUED, send_after__lte=now)
            .exclude(released_at__gt=now - RELEASE_LEASE)
            .order_by("send_after")
            .values_list("pk", "channel")[:limit]
        )
        due_ids = [message_id for message_id, _ in due]
        Message.objects.filter(pk__in=due_ids).update(released_at=now)
        sends_publish(
            email_ids=[message_id for message_id, channel in due if channel == MessageChannel.EMAIL],
            sms_ids=[message_id for message_id, channel in due if channel != MessageChannel.EMAIL],
        )
    return due_ids
