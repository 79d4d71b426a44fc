"""The SMS rules: the send window in the customer's time zone, consent per channel, the monthly cap, opt-outs."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import outbox
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.outbox import messages_release_due
from notifications.sms import sending
from notifications.sms.models import OutboxSms, SmsOptOut
from notifications.sms.reports import sms_reply_record
from notifications.sms.selectors import sms_sent_this_month
from tests.notifications.conftest import make_change
from tests.notifications.sms.conftest import queued_sms

pytestmark = pytest.mark.django_db

# 21:30 in Warsaw on 4 November (CET, UTC+1)
EVENING = datetime(2026, 11, 4, 20, 30, tzinfo=UTC)
NEXT_MORNING_8 = datetime(2026, 11, 5, 7, 0, tzinfo=UTC)


def test_a_polish_order_out_for_delivery_at_2130_is_texted_at_0800_once(shipment, sms_settings):
    with time_machine.travel(EVENING, tick=False) as clock:
        # given: the courier's scan arrives at 21:30 Polish time
        change = make_change(shipment, occurred_at=EVENING)
        outbox.status_change_process(status_change_id=change.pk)
        message = Message.objects.get(status_change=change, channel=MessageChannel.SMS)
        # then it waits for the window, and an early worker or release tick sends nothing
        assert message.send_after == NEXT_MORNING_8
        assert sending.sms_message_send(message_id=message.pk).status == MessageStatus.QUEUED
        clock.move_to(NEXT_MORNING_8 - timedelta(minutes=1))
        assert message.pk not in messages_release_due()
        # when the window opens, the release tick publishes it and it goes once
        clock.move_to(NEXT_MORNING_8)
        released = messages_release_due()
        first = sending.sms_message_send(message_id=message.pk)
        second = sending.sms_message_send(message_id=message.pk)
    assert message.pk in released
    assert (first.status, second.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert OutboxSms.objects.count() == 1
    message.refresh_from_db()
    assert message.sent_at == NEXT_MORNING_8


def test_the_window_is_the_shipping_country_s_time_zone_not_the_shop_s(shipment, sms_settings):
    # given: a Warsaw shop ships to Ireland (UTC+0 in November)
    order = shipment.order
    order.shipping_country = "IE"
    order.customer_phone = "+353 85 123 4567"
    order.save()
    with time_machine.travel(EVENING - timedelta(hours=1), tick=False):  # 19:30 in Dublin, 20:30 in Warsaw
        message = queued_sms(shipment)
    assert message.status == MessageStatus.QUEUED
    assert message.send_after == EVENING - timedelta(hours=1)


def test_a_retry_that_comes_due_at_night_is_held_until_the_window_opens(shipment, sms_settings):
    with time_machine.travel(datetime(2026, 11, 4, 10, 0, tzinfo=UTC), tick=False):
        message = queued_sms(shipment)
    Message.objects.filter(pk=message.pk).update(send_after=EVENING)
    with time_machine.travel(EVENING, tick=False):
        outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.QUEUED
    message.refresh_from_db()
    assert (message.status, message.send_after, message.attempts) == (MessageStatus.QUEUED, NEXT_MORNING_8, 0)
    assert not OutboxSms.objects.exists()


def test_a_shop_s_own_window_applies(shipment, sms_settings):
    sms_settings.window_start, sms_settings.window_end = time(9, 0), time(18, 0)
    sms_settings.save()
    with time_machine.travel(datetime(2026, 11, 4, 7, 30, tzinfo=UTC), tick=False):  # 08:30 in Warsaw
        message = queued_sms(shipment)
    assert message.send_after == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)


def test_service_sms_needs_only_the_phone(clock, shipment, sms_settings):
    shipment.order.email_marketing_consent = False
    shipment.order.save()
    message = queued_sms(shipment)
    assert sending.sms_message_send(message_id=message.pk).status == MessageStatus.SENT


def test_a_promotional_sms_without_sms_consent_is_skipped(clock, shipment, sms_settings):
    # given: a campaign's SMS (promotional) for an order that consented to email marketing only
    message = queued_sms(shipment)
    Message.objects.filter(pk=message.pk).update(campaign_key=7, campaign_id=7)
    assert shipment.order.email_marketing_consent is True
    # when
    outcome = sending.sms_message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SKIPPED
    message.refresh_from_db()
    assert message.reason == "No SMS marketing consent for a promotional SMS"
    assert not OutboxSms.objects.exists()


def test_a_promotional_sms_with_sms_consent_may_go(clock, shipment, sms_settings):
    shipment.order.sms_marketing_consent = True
    shipment.order.save()
    message = queued_sms(shipment)
    Message.objects.filter(pk=message.pk).update(campaign_key=7, campaign_id=7)
    # the rule passes; the campaign content for SMS is not there, so only the consent check is asserted
    from notifications.sms.plan import sms_consent_refusal

    shipment.order.refresh_from_db()
    assert sms_consent_refusal(order=shipment.order, promotional=True) == ""


def test_consents_carry_when_they_were_given_and_lose_it_when_withdrawn(clock, shipment):
    order = shipment.order
    order.sms_marketing_consent = True
    order.save()
    order.refresh_from_db()
    assert order.sms_marketing_consent_at == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    order.sms_marketing_consent = False
    order.save()
    order.refresh_from_db()
    assert order.sms_marketing_consent_at is None


def test_stop_reply_opts_the_number_out_and_the_next_sms_is_not_sent(clock, shipment, sms_settings, other_shop):
    # given: the shop texted the number; another shop did not
    first = queued_sms(shipment)
    sending.sms_message_send(message_id=first.pk)
    # when
    opted = sms_reply_record(sender="48600100200", text=" stop ", shop_id=None)
    # then
    assert opted == [shipment.shop_id]
    assert not SmsOptOut.objects.filter(shop=other_shop).exists()
    second = queued_sms(shipment, to_status="available_for_pickup")
    assert (second.status, second.reason) == (MessageStatus.SKIPPED, "The number opted out of SMS from this shop")


def test_an_opt_out_after_queueing_suppresses_the_sms(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    SmsOptOut.objects.create(shop=shipment.shop, phone="+48600100200", reason="manual")
    assert sending.sms_message_send(message_id=message.pk).status == MessageStatus.SUPPRESSED
    assert not OutboxSms.objects.exists()


def test_other_replies_change_nothing(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    sending.sms_message_send(message_id=message.pk)
    assert sms_reply_record(sender="+48600100200", text="Thanks, stop by later?", shop_id=None) == []
    assert not SmsOptOut.objects.exists()


def test_the_monthly_cap_skips_falls_back_to_email_and_tells_the_owner_once(clock, shipment, sms_settings, owner):
    # given: a cap of one, already used; the shop does not email "ready for pickup"
    sms_settings.monthly_cap = 1
    sms_settings.save()
    settings_row = shipment.shop.notification_settings
    settings_row.email_statuses = ["out_for_delivery"]
    settings_row.save()
    sending.sms_message_send(message_id=queued_sms(shipment).pk)
    mail.outbox = []
    shipment.status = "available_for_pickup"
    shipment.save()
    message = queued_sms(shipment, to_status="available_for_pickup")
    email = Message.objects.get(status_change=message.status_change, channel=MessageChannel.EMAIL)
    assert email.status == MessageStatus.SKIPPED
    # when
    outcome = sending.sms_message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SKIPPED
    message.refresh_from_db()
    assert message.reason == "Monthly SMS cap of 1 reached; the customer gets the email instead"
    email.refresh_from_db()
    assert (email.status, email.reason) == (MessageStatus.QUEUED, "Instead of the SMS (monthly SMS cap reached)")
    assert OutboxSms.objects.count() == 1
    (notice,) = mail.outbox
    assert notice.to == [owner.email]
    assert "monthly SMS cap of 1 reached" in notice.subject
    # and a second capped SMS this month tells nobody again
    shipment.status = "failed_attempt"
    shipment.save()
    sms_settings.refresh_from_db()
    sms_settings.statuses = ["out_for_delivery", "available_for_pickup", "failed_attempt"]
    sms_settings.save()
    third = queued_sms(shipment, to_status="failed_attempt")
    assert sending.sms_message_send(message_id=third.pk).status == MessageStatus.SKIPPED
    assert len(mail.outbox) == 1


def test_the_cap_counts_only_this_shop_s_sms(clock, shipment, sms_settings, other_shop):
    sending.sms_message_send(message_id=queued_sms(shipment).pk)
    assert sms_sent_this_month(shop_id=shipment.shop_id, now=timezone.now()) == 1
    assert sms_sent_this_month(shop_id=other_shop.pk, now=timezone.now()) == 0


def test_an_incident_is_texted_only_when_the_shop_texts_incidents(clock, shipment, sms_settings):
    from notifications.sms.requests import trigger_sms_request

    def ask():
        return trigger_sms_request(
            shop=shipment.shop,
            trigger_kind="incident",
            trigger_id=77,
            template="watchlist_incident",
            context={"headline": "Paczka utknęła w sortowni", "tracking_url": "http://127.0.0.1:8000/t/x"},
            order=shipment.order,
            shipment=shipment,
        )

    assert ask() is None
    sms_settings.incident_sms = True
    sms_settings.save()
    message = ask()
    assert (message.channel, message.trigger_kind, message.status) == ("sms", "incident", MessageStatus.QUEUED)
    assert ask() == message  # once per incident
    assert sending.sms_message_send(message_id=message.pk).status == MessageStatus.SENT
    assert OutboxSms.objects.get().body.startswith(f"{shipment.shop.name}: Paczka utknęła w sortowni http://")
