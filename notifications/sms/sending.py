"""Send one SMS message at most once: the email's claim-and-record discipline, with the SMS channel's own rules.

Before the claim each rule leaves the row with a reason support reads: an opted-out number is
suppressed; a promotional text without SMS consent is skipped; a parcel that moved on supersedes its
text; outside the send window the text is held until it opens; past the monthly cap it is skipped and
the email goes instead. Then, as for email: claim (``queued`` -> ``sending``), render, record the
hand-over, call the gateway, record the result. A gateway that provably did not take the SMS is
retried with backoff; one that may have taken it (no answer) is asked again only when it is
idempotent (SMSAPI's ``idx`` + ``check_idx``, the outbox's key) — never Twilio, so never a duplicate.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from config import metrics
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.selectors import messages_stuck_sending
from notifications.sending import (
    SendOutcome,
    message_fail,
    message_mark_unknown,
    message_requeue,
    message_retry_or_fail,
    sending_timeout,
)
from notifications.sms.backends import SmsNoAnswer, SmsRefused, SmsRequest, SmsTransient, sms_reference
from notifications.sms.cap import CAP_REASON, sms_cap_fallback, sms_cap_reached
from notifications.sms.content import message_sms_text
from notifications.sms.gateway import SmsGatewayInvalid, sms_backend_for, sms_callback_url
from notifications.sms.gsm import sms_length
from notifications.sms.models import SmsOptOutReason
from notifications.sms.plan import sms_consent_refusal
from notifications.sms.preferences import sms_opt_out_add
from notifications.sms.quiet_hours import sms_window_opens
from notifications.sms.selectors import is_sms_opted_out, sms_settings_for

logger = logging.getLogger(__name__)


@metrics.message_sends_counted(channel="sms")
def sms_message_send(*, message_id: int, now: datetime | None = None) -> SendOutcome:
    """Send one SMS message at most once (rules, claim, render, hand to the gateway, record the result)."""
    now = now or timezone.now()
    message = (
        Message.objects.select_related("shop", "order", "shipment", "status_change")
        .filter(pk=message_id, channel=MessageChannel.SMS)
        .first()
    )
    if message is None:
        return SendOutcome(status="missing")
    if message.status != MessageStatus.QUEUED or message.send_after > now:
        return SendOutcome(status=message.status)
    decided = _decide_before_claim(message=message, now=now)
    if decided is not None:
        return decided

    queued = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED)
    if not queued.update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now):
        logger.info("SMS message %s was claimed by another worker", message.pk)
        return SendOutcome(status=Message.objects.values_list("status", flat=True).get(pk=message.pk))
    message.attempts += 1
    sending = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING)
    try:
        text = message_sms_text(message)
        backend = sms_backend_for(shop=message.shop)
    except SmsGatewayInvalid as error:
        return message_fail(message=message, reason=str(error))
    except Exception as error:
        logger.exception("SMS message %s could not be rendered", message.pk)
        return message_retry_or_fail(message=message, reason=f"Rendering failed: {error}", now=now)

    length = sms_length(text)
    sending.update(text_body=text, segments=length.segments, handed_to_esp_at=timezone.now())
    request = SmsRequest(
        to=message.to_phone,
        body=text,
        sender=sms_settings_for(shop=message.shop).sender_name or settings.SMS_DEFAULT_SENDER,
        reference=sms_reference(shop_id=message.shop_id, message_id=message.pk),
        callback_url=sms_callback_url(shop=message.shop),
        shop_id=message.shop_id,
    )
    try:
        accepted = backend.send(request)
    except SmsRefused as error:
        if error.opted_out:
            sms_opt_out_add(shop_id=message.shop_id, phone=message.to_phone, reason=SmsOptOutReason.GATEWAY)
        return message_fail(message=message, reason=str(error))
    except SmsTransient as error:
        return message_retry_or_fail(message=message, reason=str(error), now=now, retry_after=error.retry_after)
    except SmsNoAnswer as error:
        return _ambiguous(message=message, reason=str(error), now=now, idempotent=backend.idempotent)
    except Exception as error:
        logger.exception("SMS message %s: unexpected error in the gateway call", message.pk)
        return _ambiguous(message=message, reason=type(error).__name__, now=now, idempotent=backend.idempotent)

    sending.update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        esp_name=backend.name,
        esp_message_id=accepted.provider_message_id,
        segments=accepted.segments or length.segments,
        reason="",
        updated_at=timezone.now(),
    )
    return SendOutcome(status=MessageStatus.SENT)


def _decide_before_claim(*, message: Message, now: datetime) -> SendOutcome | None:
    """Final (or held) decisions that need no gateway; None when the SMS may be claimed and sent."""
    queued = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED)
    if is_sms_opted_out(shop_id=message.shop_id, phone=message.to_phone):
        queued.update(status=MessageStatus.SUPPRESSED, reason="The number opted out of SMS", updated_at=now)
        return SendOutcome(status=MessageStatus.SUPPRESSED)
    refusal = sms_consent_refusal(order=message.order, promotional=not message.is_transactional)
    if refusal:
        queued.update(status=MessageStatus.SKIPPED, reason=refusal, updated_at=now)
        return SendOutcome(status=MessageStatus.SKIPPED)
    shipment = message.shipment
    if message.is_status_change and shipment is not None and shipment.status != message.to_status:
        queued.update(
            status=MessageStatus.SUPERSEDED,
            reason=f"The parcel moved on to {shipment.status} before the SMS could go",
            updated_at=now,
        )
        return SendOutcome(status=MessageStatus.SUPERSEDED)
    opens = sms_window_opens(moment=now, shop=message.shop, order=message.order)
    if opens is not None:
        queued.update(send_after=opens, released_at=None, updated_at=now)
        return SendOutcome(status=MessageStatus.QUEUED)
    if sms_cap_reached(shop=message.shop, now=now):
        cap = sms_settings_for(shop=message.shop).monthly_cap
        if queued.update(status=MessageStatus.SKIPPED, reason=CAP_REASON.format(cap=cap), updated_at=now):
            sms_cap_fallback(message=message, now=now)
        return SendOutcome(status=MessageStatus.SKIPPED)
    return None


def sms_messages_recover_stuck(*, now: datetime | None = None) -> dict[str, int]:
    """Decide the fate of SMS whose worker was lost mid-send: resend only when that cannot duplicate."""
    now = now or timezone.now()
    counts = {"requeued": 0, "unknown": 0}
    stuck = messages_stuck_sending(claimed_before=now - sending_timeout(), channel=MessageChannel.SMS)
    for message in stuck.select_related("shop"):
        try:
            idempotent = sms_backend_for(shop=message.shop).idempotent
        except SmsGatewayInvalid:
            idempotent = False
        if message.handed_to_esp_at is None or idempotent:
            counts["requeued"] += message_requeue(message=message, now=now)
        else:
            # The gateway may have the SMS: reconciliation settles it (a delivery report, a lookup where the
            # gateway has one, else one resend after the quiet period), never a plain retry.
            counts["unknown"] += message_mark_unknown(
                message=message, reason="the worker was lost during the gateway call", now=now
            )
    return counts


def _ambiguous(*, message: Message, reason: str, now: datetime, idempotent: bool) -> SendOutcome:
    # The gateway may have taken the SMS: only an idempotent backend may be asked again.
    if idempotent:
        return message_retry_or_fail(message=message, reason=reason, now=now)
    message_mark_unknown(message=message, reason=reason, now=now)
    return SendOutcome(status=MessageStatus.UNKNOWN)
