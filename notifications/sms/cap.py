"""The per-shop monthly SMS cap: when it is reached the SMS is skipped, the customer gets the email, the owner is told.

The count is of SMS claimed this calendar month (UTC); concurrent workers may overshoot by at most
the number of sends in flight, which a cap meant for budgeting tolerates.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail

from notifications.models import Message, MessageChannel, MessageStatus
from notifications.outbox import message_request
from notifications.sms.models import SmsSettings
from notifications.sms.selectors import sms_sent_this_month, sms_settings_for
from shops.models import Membership, Role, Shop

logger = logging.getLogger(__name__)

# The email a shop chose not to send for this status: the one the SMS was meant to replace.
NOT_EMAILED_PREFIX = "The shop does not email the status"
CAP_REASON = "Monthly SMS cap of {cap} reached; the customer gets the email instead"


def sms_cap_reached(*, shop: Shop, now: datetime) -> bool:
    """Whether this shop's SMS for this month are used up."""
    cap = sms_settings_for(shop=shop).monthly_cap
    return sms_sent_this_month(shop_id=shop.pk, now=now) >= cap


def sms_cap_fallback(*, message: Message, now: datetime) -> None:
    """Send the email of the SMS's trigger instead (once: the email's own key), and tell the owner once a month."""
    email = message.order.customer_email.strip()
    if email:
        key = {
            "trigger_kind": message.trigger_kind,
            "trigger_id": message.trigger_id,
            "channel": MessageChannel.EMAIL,
            "campaign_key": message.campaign_key,
        }
        Message.objects.filter(**key, status=MessageStatus.SKIPPED, reason__startswith=NOT_EMAILED_PREFIX).update(
            status=MessageStatus.QUEUED, send_after=now, reason="Instead of the SMS (monthly SMS cap reached)"
        )
        message_request(
            shop=message.shop,
            trigger_kind=message.trigger_kind,
            trigger_id=message.trigger_id,
            channel=MessageChannel.EMAIL,
            recipient=email,
            template=message.template or "status",
            language=message.language,
            context=message.context,
            order=message.order,
            shipment=message.shipment,
            campaign=None if message.is_transactional else message.campaign_id,
            to_status=message.to_status,
            now=now,
        )
    _owner_notice(shop=message.shop, now=now)


def _owner_notice(*, shop: Shop, now: datetime) -> None:
    month = now.strftime("%Y-%m")
    conf = sms_settings_for(shop=shop)
    if not SmsSettings.objects.filter(pk=conf.pk).exclude(cap_notified_month=month).update(cap_notified_month=month):
        return  # told already this month (or the settings are the unsaved defaults, which SMS is off in)
    owners = list(
        Membership.objects.filter(shop=shop, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    recipients = owners or ([shop.support_email] if shop.support_email else [])
    if not recipients:
        return
    try:
        send_mail(
            subject=f"[Parcelfront] {shop.name}: monthly SMS cap of {conf.monthly_cap} reached",
            message=(
                f"{shop.name} has sent its {conf.monthly_cap} SMS for {month}. Until the month ends, customers get "
                "the email instead of the SMS. Raise the cap in Notifications → SMS settings to keep texting."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("could not tell shop %s that its SMS cap was reached", shop.pk)
