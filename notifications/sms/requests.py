"""The SMS of another app's trigger (an incident ...), asked for like its email: once per trigger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from notifications.models import Message, MessageChannel
from notifications.outbox import message_request
from notifications.sms.plan import trigger_sms_plan
from shipments.models import Order, Shipment
from shops.languages import language_or_default
from shops.models import Shop


def trigger_sms_request(
    *,
    shop: Shop,
    trigger_kind: str,
    trigger_id: int,
    template: str,
    context: dict[str, Any],
    order: Order,
    shipment: Shipment | None = None,
    now: datetime | None = None,
) -> Message | None:
    """The one SMS of (trigger kind, trigger id) rendering ``sms/<template>.txt``; None when the shop texts none."""
    now = now or timezone.now()
    plan = trigger_sms_plan(shop=shop, trigger_kind=trigger_kind, order=order, now=now)
    if plan is None:
        return None
    return message_request(
        shop=shop,
        trigger_kind=trigger_kind,
        trigger_id=trigger_id,
        channel=MessageChannel.SMS,
        recipient=plan.recipient,
        template=template,
        language=language_or_default(order.effective_locale),
        context=context,
        order=order,
        shipment=shipment,
        send_at=plan.send_at,
        status=plan.status,
        reason=plan.reason,
        now=now,
    )
