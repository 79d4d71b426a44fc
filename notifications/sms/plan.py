"""Which SMS a trigger causes, decided before its ``Message`` (``channel="sms"``) is requested.

A status change texts when the shop turned SMS on and chose that status; the order's number must be a
valid mobile number (else the SMS is recorded as skipped, with the reason). Service texts need only the
number; anything promotional also needs the order's SMS marketing consent. Texts wait for the send
window in the customer's time zone (08:00 to 20:00 by default): held, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.models import MessageStatus
from notifications.selectors import notification_settings_for
from notifications.sms.quiet_hours import sms_send_after
from notifications.sms.selectors import is_sms_opted_out, sms_settings_for
from shipments.models import Direction, Order, StatusChange
from shops.models import Shop
from shops.phones import sms_recipient

INCIDENT_TRIGGER = "incident"


@dataclass(frozen=True)
class SmsPlan:
    """How to request one SMS: to whom (E.164), when, and whether it is queued or skipped (with why)."""

    recipient: str
    send_at: datetime
    status: str
    reason: str = ""


def sms_consent_refusal(*, order: Order, promotional: bool) -> str:
    """Why this order may not get this kind of SMS (empty when it may): promotional texts need SMS consent."""
    if promotional and not order.sms_marketing_consent:
        return "No SMS marketing consent for a promotional SMS"
    return ""


def status_change_sms_plan(*, change: StatusChange, now: datetime) -> SmsPlan | None:
    """The SMS a status change causes; None when the shop does not text about it."""
    shipment = change.shipment
    order = shipment.order
    conf = sms_settings_for(shop=order.shop)
    if not conf.enabled or change.reason_only or change.to_status not in conf.statuses:
        return None
    if shipment.direction == Direction.RETURN:
        return None
    max_age = notification_settings_for(shop=order.shop).max_transition_age_hours
    if change.occurred_at < now - timedelta(hours=max_age):
        return _plan(shop=order.shop, order=order, now=now, skip=f"The transition is older than {max_age} hours")
    return _plan(shop=order.shop, order=order, now=now)


def trigger_sms_plan(*, shop: Shop, trigger_kind: str, order: Order, now: datetime) -> SmsPlan | None:
    """The SMS of another app's trigger (an incident ...); None when the shop does not text that kind."""
    conf = sms_settings_for(shop=shop)
    if not conf.enabled or (trigger_kind == INCIDENT_TRIGGER and not conf.incident_sms):
        return None
    return _plan(shop=shop, order=order, now=now)


def _plan(*, shop: Shop, order: Order, now: datetime, skip: str = "") -> SmsPlan:
    recipient = sms_recipient(raw=order.customer_phone, country=order.shipping_country)
    skip = skip or recipient.reason
    if not skip and is_sms_opted_out(shop_id=shop.pk, phone=recipient.e164):
        skip = "The number opted out of SMS from this shop"
    if skip:
        return SmsPlan(recipient=recipient.e164, send_at=now, status=MessageStatus.SKIPPED, reason=skip)
    return SmsPlan(
        recipient=recipient.e164,
        send_at=sms_send_after(shop=shop, order=order, earliest=now),
        status=MessageStatus.QUEUED,
    )
