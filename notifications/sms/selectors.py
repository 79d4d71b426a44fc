"""Reads of the SMS channel: a shop's settings with defaults, its own texts, opt-outs, the month's usage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from notifications.models import Message, MessageChannel, MessageStatus
from notifications.sms.models import SmsOptOut, SmsSettings, SmsTemplate
from shops.models import Shop
from shops.privacy import subject_hash

# Messages that count against the monthly cap: sent, or on their way.
CAP_STATUSES = (MessageStatus.SENDING, MessageStatus.SENT)


def sms_settings_for(*, shop: Shop) -> SmsSettings:
    """The shop's SMS settings, or the defaults (unsaved, SMS off) when the shop never changed them."""
    try:
        return shop.sms_settings
    except SmsSettings.DoesNotExist:
        return SmsSettings(shop=shop)


def sms_template_body_for(*, shop: Shop, status: str, language: str) -> str:
    """The shop's own SMS text for ``status`` in ``language``; empty when it wrote none."""
    return (
        SmsTemplate.objects.filter(shop=shop, status=status, language=language).values_list("body", flat=True).first()
        or ""
    )


def is_sms_opted_out(*, shop_id: int, phone: str) -> bool:
    """Whether this shop must not text ``phone`` (E.164) any more (an erased customer's opt-out is a hash)."""
    return SmsOptOut.objects.filter(shop_id=shop_id, phone__in=[phone, subject_hash(phone)]).exists()


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def sms_sent_this_month(*, shop_id: int, now: datetime) -> int:
    """SMS of this shop sent (or being sent) since the start of the month (UTC): what the cap counts."""
    return Message.objects.filter(
        shop_id=shop_id,
        channel=MessageChannel.SMS,
        status__in=CAP_STATUSES,
        claimed_at__gte=month_start(now),
    ).count()


def sms_segments_this_month(*, shop_id: int, now: datetime) -> int:
    """Segments of this shop's SMS sent since the start of the month: what the gateway bills."""
    total = Message.objects.filter(
        shop_id=shop_id, channel=MessageChannel.SMS, status=MessageStatus.SENT, sent_at__gte=month_start(now)
    ).aggregate(total=Sum("segments"))["total"]
    return int(total or 0)


def sms_cost_estimate(*, conf: SmsSettings, now: datetime) -> tuple[int, Decimal]:
    """(segments this month, their estimated cost in the shop's currency)."""
    segments = sms_segments_this_month(shop_id=conf.shop_id, now=now)
    return segments, (Decimal(segments) * Decimal(conf.price_per_segment)).quantize(Decimal("0.01"))
