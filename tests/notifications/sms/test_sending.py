"""Sending SMS exactly once through the outbox, SMSAPI and Twilio faked on loopback: retries, timeouts, lost workers."""

from datetime import timedelta

import pytest
from django.test import override_settings

from notifications.models import Message, MessageChannel, MessageStatus
from notifications.sms import sending
from notifications.sms.fake_gateway import FakeSmsGateway, Reply
from notifications.sms.models import OutboxSms, SmsOptOut
from tests.notifications.conftest import NOW
from tests.notifications.sms.conftest import queued_sms, smsapi_at, twilio_at

pytestmark = pytest.mark.django_db


def test_a_status_change_gets_one_email_and_one_sms_stored_once_in_the_outbox(clock, shipment, sms_settings):
    # given
    message = queued_sms(shipment)
    # when
    first = sending.sms_message_send(message_id=message.pk)
    second = sending.sms_message_send(message_id=message.pk)
    # then
    assert (first.status, second.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert Message.objects.filter(status_change=message.status_change).count() == 2
    stored = OutboxSms.objects.get()
    assert (stored.to, stored.sender, stored.shop_id) == ("+48600100200", "MyShop", shipment.shop_id)
    assert stored.idempotency_key == f"pf-{shipment.shop_id}-{message.pk}"
    message.refresh_from_db()
    assert message.to_phone == "+48600100200"
    assert message.to_email == ""
    assert message.text_body == stored.body
    assert f"http://127.0.0.1:8000/t/{shipment.order.public_token}" in stored.body
    assert "http://127.0.0.1:8000/m/" in stored.body  # the message settings
    assert message.esp_name == "Outbox"
    assert message.esp_message_id == stored.provider_message_id
    assert message.segments == stored.segments


def test_sms_is_off_until_the_shop_turns_it_on(clock, shipment, settings_row):
    # given: no SMS settings
    from notifications import outbox
    from tests.notifications.conftest import make_change

    change = make_change(shipment)
    # when
    outbox.status_change_process(status_change_id=change.pk)
    # then
    assert not Message.objects.filter(channel=MessageChannel.SMS).exists()
    assert Message.objects.filter(status_change=change, channel=MessageChannel.EMAIL).count() == 1


def test_only_the_chosen_statuses_text_and_failed_attempt_is_optional(clock, shipment, sms_settings):
    from notifications import outbox
    from tests.notifications.conftest import make_change

    # given: the defaults (out for delivery, ready for pickup)
    delivered = make_change(shipment, to_status="delivered", from_status="out_for_delivery")
    outbox.status_change_process(status_change_id=delivered.pk)
    sms_settings.statuses = ["out_for_delivery", "failed_attempt"]
    sms_settings.save()
    failed = make_change(shipment, to_status="failed_attempt", from_status="delivered")
    outbox.status_change_process(status_change_id=failed.pk)
    # then
    sms = Message.objects.filter(channel=MessageChannel.SMS)
    assert list(sms.values_list("to_status", flat=True)) == ["failed_attempt"]


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("", "The order has no phone number"),
        ("123", "Not a valid phone number for PL"),
        ("+48 12 345 67 89", "The phone number is a landline or cannot receive SMS"),
    ],
)
def test_missing_invalid_or_landline_numbers_are_skipped_with_a_reason(clock, shipment, sms_settings, phone, reason):
    # given: a number stored before ingestion checked numbers
    shipment.order.customer_phone = phone
    shipment.order.save()
    # when
    message = queued_sms(shipment)
    # then
    assert (message.status, message.reason) == (MessageStatus.SKIPPED, reason)
    assert not OutboxSms.objects.exists()


def test_smsapi_gets_idx_check_idx_json_format_and_a_report_url(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway() as fake, smsapi_at(fake):
        # when
        outcome = sending.sms_message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SENT
    (request,) = fake.requests
    assert request["path"] == "/sms.do"
    assert request["headers"]["Authorization"] == "Bearer smsapi-token"
    form = request["form"]
    assert form["to"] == "48600100200"
    assert form["from"] == "MyShop"
    assert (form["format"], form["encoding"], form["check_idx"]) == ("json", "utf-8", "1")
    assert form["idx"] == f"pf-{shipment.shop_id}-{message.pk}"
    assert form["notify_url"] == "http://127.0.0.1:8000/webhooks/sms/smsapi/dev-insecure-sms-webhook-secret/"
    message.refresh_from_db()
    assert message.esp_name == "SMSAPI"
    assert len(message.esp_message_id) == 24


def test_gateway_5xx_then_200_retries_and_sends_once(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(503), Reply(502)]) as fake, smsapi_at(fake):
        # when
        outcomes = []
        for _ in range(3):
            outcome = sending.sms_message_send(message_id=message.pk)
            outcomes.append(outcome.status)
            if outcome.retry_in:
                clock.shift(timedelta(seconds=outcome.retry_in + 0.001))
    # then
    assert outcomes == [MessageStatus.QUEUED, MessageStatus.QUEUED, MessageStatus.SENT]
    assert len(fake.accepted) == 1
    message.refresh_from_db()
    assert message.attempts == 3


def test_smsapi_read_timeout_is_retried_and_check_idx_prevents_a_duplicate(clock, shipment, sms_settings):
    # given: SMSAPI takes the SMS but answers after the 1 s read timeout
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(200, delay=2.5)]) as fake, smsapi_at(fake):
        # when
        first = sending.sms_message_send(message_id=message.pk)
        clock.shift(timedelta(seconds=first.retry_in + 0.001))
        second = sending.sms_message_send(message_id=message.pk)
    # then
    assert (first.status, second.status) == (MessageStatus.QUEUED, MessageStatus.SENT)
    assert len(fake.requests) == 2
    assert len(fake.accepted) == 1
    message.refresh_from_db()
    assert message.esp_message_id == ""  # known from the delivery report, which names our idx


def test_twilio_read_timeout_is_not_retried_so_no_duplicate(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(200, delay=2.5)]) as fake, twilio_at(fake):
        # when
        outcome = sending.sms_message_send(message_id=message.pk)
        clock.shift(timedelta(hours=1))
        sending.sms_messages_recover_stuck()
        again = sending.sms_message_send(message_id=message.pk)
    # then
    assert outcome.status == again.status == MessageStatus.UNKNOWN  # reconciliation settles it, not a retry
    assert len(fake.accepted) == 1
    message.refresh_from_db()
    assert message.reason.startswith("Outcome unknown: No answer from Twilio")
    assert message.unknown_since is not None


def test_twilio_gets_its_payload_with_status_callback_and_basic_auth(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway() as fake, twilio_at(fake):
        outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.SENT
    (request,) = fake.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["headers"]["Authorization"].startswith("Basic ")
    form = request["form"]
    assert (form["To"], form["From"]) == ("+48600100200", "MyShop")
    assert form["StatusCallback"] == "http://127.0.0.1:8000/webhooks/sms/twilio/dev-insecure-sms-webhook-secret/"
    message.refresh_from_db()
    assert message.esp_message_id.startswith("SM")


def test_refused_connection_is_retried_because_the_gateway_never_saw_it(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway() as fake:
        url = fake.url
    with override_settings(
        SMS_BACKEND="twilio", SMS_TWILIO_BASE_URL=url, SMS_TWILIO_ACCOUNT_SID="AC1", SMS_HTTP_TIMEOUT=(1, 1)
    ):
        outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.QUEUED
    message.refresh_from_db()
    assert message.reason.startswith("Attempt 1 failed: Could not connect to Twilio")


def test_twilio_opted_out_recipient_fails_and_is_opted_out(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(400, code=21610)]) as fake, twilio_at(fake):
        outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.FAILED
    assert fake.accepted == []
    assert SmsOptOut.objects.filter(shop=shipment.shop, phone="+48600100200", reason="gateway").exists()


def test_smsapi_error_in_a_200_answer_fails_without_retry(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(200, code=13)]) as fake, smsapi_at(fake):
        outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.reason.startswith("SMSAPI refused the SMS (error 13, HTTP 200)")
    assert fake.accepted == []


def test_worker_killed_after_the_twilio_call_is_unknown_not_resent(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW, handed_to_esp_at=NOW)
    with FakeSmsGateway() as fake, twilio_at(fake):
        early = sending.sms_messages_recover_stuck()
        clock.shift(timedelta(minutes=16))
        late = sending.sms_messages_recover_stuck()
        sending.sms_message_send(message_id=message.pk)
    assert early == {"requeued": 0, "unknown": 0}
    assert late == {"requeued": 0, "unknown": 1}
    assert fake.requests == []
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert message.reason.startswith("Outcome unknown: the worker was lost during the gateway call")


def test_worker_killed_after_the_outbox_stored_it_is_resent_without_a_duplicate(clock, shipment, sms_settings):
    # given: the outbox stored the SMS, then the worker died before recording it
    message = queued_sms(shipment)
    sending.sms_message_send(message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW, handed_to_esp_at=NOW)
    clock.shift(timedelta(minutes=16))
    # when
    counts = sending.sms_messages_recover_stuck()
    outcome = sending.sms_message_send(message_id=message.pk)
    # then
    assert counts == {"requeued": 1, "unknown": 0}
    assert outcome.status == MessageStatus.SENT
    assert OutboxSms.objects.count() == 1


def test_email_recovery_leaves_stuck_sms_to_their_own_recovery(clock, shipment, sms_settings):
    from notifications import sending as email_sending

    message = queued_sms(shipment)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW, handed_to_esp_at=NOW)
    clock.shift(timedelta(minutes=16))
    assert email_sending.messages_recover_stuck() == {"requeued": 0, "unknown": 0}


def test_a_parcel_that_moved_on_supersedes_its_held_sms(clock, shipment, sms_settings):
    message = queued_sms(shipment)
    shipment.status = "delivered"
    shipment.save()
    outcome = sending.sms_message_send(message_id=message.pk)
    assert outcome.status == MessageStatus.SUPERSEDED
    assert not OutboxSms.objects.exists()


def test_the_send_task_takes_sms_messages_to_the_sms_sender(clock, shipment, sms_settings):
    from notifications.tasks import send_message

    message = queued_sms(shipment)
    assert send_message.run(message_id=message.pk) == MessageStatus.SENT
    assert OutboxSms.objects.count() == 1
