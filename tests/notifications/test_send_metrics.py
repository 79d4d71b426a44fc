"""message_send feeds config.metrics: one count per send attempt, by channel and resulting status."""

import pytest

from notifications import sending
from notifications.models import MessageStatus, Suppression
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
