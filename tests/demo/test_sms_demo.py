"""The demo texts: SMS on for the roastery, one shop-written Polish text, everything to the database outbox."""

from datetime import UTC, datetime

import time_machine

from demo.services import demo_seed
from notifications import outbox
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.sms.gsm import GSM7
from notifications.sms.models import OutboxSms, SmsSettings
from notifications.sms.sending import sms_message_send
from tests.factories import StatusChangeFactory

NOW = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)  # noon in Warsaw


def test_the_demo_shop_texts_ready_for_pickup_to_the_outbox_in_gsm7(db):
    with time_machine.travel(NOW, tick=False):
        shop = demo_seed(now=NOW).shop
        conf = SmsSettings.objects.get(shop=shop)
        order = next(order for order in shop.orders.all() if order.effective_locale == "pl")
        shipment = order.shipments.first()
        shipment.status = "available_for_pickup"
        shipment.pickup_point = {"name": "Paczkomat KRA01M", "address": "ul. Floriańska 1", "city": "Kraków"}
        shipment.save()
        StatusChangeFactory(shipment=shipment, from_status="pending", to_status="in_transit", occurred_at=NOW)
        change = StatusChangeFactory(
            shipment=shipment, from_status="in_transit", to_status="available_for_pickup", occurred_at=NOW
        )
        outbox.status_change_process(status_change_id=change.pk)
        message = Message.objects.get(status_change=change, channel=MessageChannel.SMS)
        outcome = sms_message_send(message_id=message.pk)
    assert (conf.enabled, conf.sender_name, conf.transliterate) == (True, "Ziarno", True)
    assert outcome.status == MessageStatus.SENT
    stored = OutboxSms.objects.get()
    assert stored.sender == "Ziarno"
    assert stored.encoding == GSM7
    assert stored.body.startswith(f"Palarnia Ziarno: paczka z zamowieniem {order.number} czeka w Paczkomat KRA01M.")
