"""The reconciliation story of the demo: emails whose sending was interrupted, settled by the sweeper or a person.

Three emails whose outcome is unknown (as after a worker lost mid-send), each about a demo order:

* one the email backend stored before the worker died: the sweeper's lookup finds it and marks it sent;
* one it never got: the lookup confirms it is absent and the email is sent again, once;
* one too old to resend on its own: left for a person (Admin > Notifications > Messages, "Outcome
  unknown"), who resends it or marks it as sent; the daily digest lists it until then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Value
from django.db.models.functions import Concat

from notifications.content import message_content
from notifications.models import Message, MessageChannel, MessageStatus, OutboxEmail, Reconciliation
from notifications.outbox import message_request
from notifications.reconcile import SWEEPER
from shipments.links import order_tracking_url
from shipments.models import Order
from shops.models import Shop

DEMO_TRIGGER = "demo_interrupted_send"
REASON = "Outcome unknown: the worker was lost during the ESP call; awaiting reconciliation with the provider"


def demo_reconciliation_seed(*, shop: Shop, orders: list[Order], now: datetime) -> list[Message]:
    """Three messages of unknown outcome on ``orders[1:4]``: stored (found), never stored (resent), too old (a person)."""
    stored, lost, old = (_unknown(order, now=now) for order in orders[1:4])
    content = message_content(stored)
    if content is not None:
        OutboxEmail.objects.create(
            shop=shop,
            esp_message_id=f"demo-stored-{stored.pk}",
            idempotency_key=str(stored.pk),
            from_email=shop.from_email,
            to=[stored.to_email],
            subject=content.rendered.subject,
            text_body=content.rendered.text,
            html_body=content.rendered.html,
            metadata={"message_id": str(stored.pk), "shop_id": str(shop.pk)},
        )
    three_days = now - timedelta(days=3)
    Message.objects.filter(pk=old.pk).update(
        created_at=three_days,
        handed_to_esp_at=three_days,
        unknown_since=three_days,
        reconciliation=Reconciliation.LEFT_FOR_A_PERSON,
        reconciled_at=three_days + timedelta(minutes=10),
        reconciled_by=SWEEPER,
        reconciliation_log=Concat(
            F("reconciliation_log"),
            Value(
                f"{three_days + timedelta(minutes=10):%Y-%m-%d %H:%M:%S} UTC, {SWEEPER}: "
                f"{Reconciliation.LEFT_FOR_A_PERSON.label} (Outbox: nothing stored; too old to resend on our own)\n"
            ),
        ),
    )
    return [stored, lost, old]


def _unknown(order: Order, *, now: datetime) -> Message:
    shipment = order.shipments.first()
    message = message_request(
        shop=order.shop,
        trigger_kind=DEMO_TRIGGER,
        trigger_id=order.pk,
        channel=MessageChannel.EMAIL,
        recipient=order.customer_email,
        template="watchlist_incident",
        language=order.effective_locale,
        context={
            "incident_type": "stalled",
            "customer_name": order.customer_name,
            "order_number": order.number,
            "tracking_number": shipment.tracking_number if shipment else "",
            "tracking_url": order_tracking_url(order),
            "headline": "Your parcel is on its way",
            "body": "We are keeping an eye on it for you.",
            "pickup_point_address": "",
        },
        order=order,
        shipment=shipment,
        # Requested as decided (nothing published), then put where a worker lost mid-send leaves it.
        status=MessageStatus.SKIPPED,
        reason=REASON,
        now=now,
    )
    interrupted = now - timedelta(minutes=15)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.UNKNOWN,
        attempts=1,
        claimed_at=interrupted,
        handed_to_esp_at=interrupted,
        unknown_since=interrupted,
    )
    message.refresh_from_db()
    return message
