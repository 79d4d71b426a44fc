"""message_send and sms_message_send feed config.metrics: one count per send attempt, by channel and resulting status."""

import pytest

from notifications import sending
from notifications.models import MessageStatus, Suppression
from notifications.sms import sending as sms_sending
from notifications.sms.models import SmsOptOutReason, SmsSettings
from notifications.sms.preferences import sms_opt_out_add
from tests.notifications.sms.conftest import queued_sms
from tests.notifications.test_sending import queued_message
from tests.ops.samples import sample

pytestmark = pytest.mark.django_db


def test_sent_and_suppressed_messages_are_counted_by_channel_and_status(clock, shipment, settings_row):
    # given a queued message, and another to an address the shop suppressed
    sent_before = sample("parcelfront_messages_total", channel="email", status="sent")
    suppressed_before = sample("parcelfront_messages_total", channel="email", status="suppressed")
    message = queued_message(shipment)
    sending.message_send(message_id=message.pk)
    Suppression.objects.create(shop=shipment.shop, email="anna@example.com", reason="bounced")
    second = queued_message(shipment, to_status="delivered")

    # when the second is attempted
    outcome = sending.message_send(message_id=second.pk)

    # then each attempt is counted once under its own status
    assert outcome.status == MessageStatus.SUPPRESSED
    assert sample("parcelfront_messages_total", channel="email", status="sent") - sent_before == 1
    assert sample("parcelfront_messages_total", channel="email", status="suppressed") - suppressed_before == 1


def test_sms_sends_are_counted_under_their_own_channel(clock, shipment, settings_row):
    # given a shop that texts (through the database outbox), one SMS sent, then the number opting out
    SmsSettings.objects.create(shop=shipment.shop, enabled=True, sender_name="MyShop")
    sent_before = sample("parcelfront_messages_total", channel="sms", status="sent")
    suppressed_before = sample("parcelfront_messages_total", channel="sms", status="suppressed")
    email_before = sample("parcelfront_messages_total", channel="email", status="sent")
    first = sms_sending.sms_message_send(message_id=queued_sms(shipment).pk)
    second = queued_sms(shipment, to_status="available_for_pickup")
    sms_opt_out_add(shop_id=shipment.shop_id, phone=second.to_phone, reason=SmsOptOutReason.STOP)

    # when the second is attempted
    outcome = sms_sending.sms_message_send(message_id=second.pk)

    # then each is counted under channel="sms", and no email count moved
    assert (first.status, outcome.status) == (MessageStatus.SENT, MessageStatus.SUPPRESSED)
    assert sample("parcelfront_messages_total", channel="sms", status="sent") - sent_before == 1
    assert sample("parcelfront_messages_total", channel="sms", status="suppressed") - suppressed_before == 1
    assert sample("parcelfront_messages_total", channel="email", status="sent") == email_before
