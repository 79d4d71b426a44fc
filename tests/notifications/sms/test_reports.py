"""Delivery reports and replies: authenticated (URL token, Twilio's signature), recorded once, scoped to their shop."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.test import override_settings

from notifications.models import Message, MessageEvent, MessageStatus
from notifications.sms import sending
from notifications.sms.fake_gateway import FakeSmsGateway, Reply
from notifications.sms.models import SmsOptOut, SmsSettings
from notifications.sms.reports import twilio_signature_valid
from tests.notifications.sms.conftest import queued_sms, smsapi_at, twilio_at

pytestmark = pytest.mark.django_db

SECRET = "dev-insecure-sms-webhook-secret"


def twilio_signature(token, url, params):
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def sent_sms(shipment, gateway_at):
    message = queued_sms(shipment)
    with FakeSmsGateway() as fake, gateway_at(fake):
        sending.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_smsapi_callback_marks_the_sms_delivered_once(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, smsapi_at)
    params = {
        "MsgId": message.esp_message_id,
        "status": "404",
        "status_name": "DELIVERED",
        "idx": f"pf-{shipment.shop_id}-{message.pk}",
        "donedate": "1793790000",
        "to": "48600100200",
        "username": "shop@example.com",
    }
    with override_settings(SMS_BACKEND="smsapi"):
        first = client.get(f"/webhooks/sms/smsapi/{SECRET}/", params)
        again = client.get(f"/webhooks/sms/smsapi/{SECRET}/", params)
    assert (first.status_code, first.content, again.content) == (200, b"OK", b"OK")
    message.refresh_from_db()
    assert message.last_event == "delivered"
    assert message.delivered_at is not None
    event = MessageEvent.objects.get()
    assert (event.esp_name, event.event_type, event.recipient) == ("SMSAPI", "delivered", "+48600100200")


def test_smsapi_callback_with_several_reports_records_each(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, smsapi_at)
    params = {"MsgId": f"{message.esp_message_id},UNKNOWN1", "status": "403,404", "to": "48600100200,48600999999"}
    with override_settings(SMS_BACKEND="smsapi"):
        client.get(f"/webhooks/sms/smsapi/{SECRET}/", params)
    assert list(MessageEvent.objects.values_list("event_type", flat=True)) == ["sent"]


def test_a_wrong_token_is_not_found_and_changes_nothing(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, smsapi_at)
    with override_settings(SMS_BACKEND="smsapi"):
        response = client.get("/webhooks/sms/smsapi/guessed/", {"MsgId": message.esp_message_id, "status": "404"})
    assert response.status_code == 404
    assert not MessageEvent.objects.exists()


def test_a_report_for_another_number_is_ignored(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, smsapi_at)
    with override_settings(SMS_BACKEND="smsapi"):
        client.get(f"/webhooks/sms/smsapi/{SECRET}/", {"MsgId": message.esp_message_id, "status": "404", "to": "1"})
    assert not MessageEvent.objects.exists()


def test_an_unknown_outcome_is_settled_as_sent_by_the_report_naming_our_idx(client, clock, shipment, sms_settings):
    # given: SMSAPI took the SMS, the answer was lost, the retry met check_idx (no provider id on our row)
    message = queued_sms(shipment)
    with FakeSmsGateway([Reply(200, delay=2.5)]) as fake, smsapi_at(fake):
        first = sending.sms_message_send(message_id=message.pk)
        clock.shift(timedelta(seconds=first.retry_in + 0.001))
        sending.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.esp_message_id == ""
    # when
    with override_settings(SMS_BACKEND="smsapi"):
        client.get(
            f"/webhooks/sms/smsapi/{SECRET}/",
            {"MsgId": "PROVIDER1", "status": "404", "idx": f"pf-{shipment.shop_id}-{message.pk}", "to": "48600100200"},
        )
    # then
    message.refresh_from_db()
    assert (message.esp_message_id, message.last_event) == ("PROVIDER1", "delivered")


def test_twilio_status_callback_with_a_valid_signature_is_recorded(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, twilio_at)
    url = f"http://127.0.0.1:8000/webhooks/sms/twilio/{SECRET}/"
    params = {
        "MessageSid": message.esp_message_id,
        "MessageStatus": "delivered",
        "To": "+48600100200",
        "AccountSid": "AC123",
    }
    with twilio_at(FakeSmsGateway()):
        response = client.post(
            url.removeprefix("http://127.0.0.1:8000"),
            params,
            HTTP_X_TWILIO_SIGNATURE=twilio_signature("twilio-auth-token", url, params),
        )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.last_event == "delivered"


def test_twilio_callback_with_a_bad_signature_is_refused(client, clock, shipment, sms_settings):
    message = sent_sms(shipment, twilio_at)
    path = f"/webhooks/sms/twilio/{SECRET}/"
    params = {"MessageSid": message.esp_message_id, "MessageStatus": "delivered", "To": "+48600100200"}
    with twilio_at(FakeSmsGateway()):
        forged = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature("guessed", path, params))
        unsigned = client.post(path, params)
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    message.refresh_from_db()
    assert message.last_event == ""


def test_twilio_stop_reply_opts_the_number_out(client, clock, shipment, sms_settings):
    sent_sms(shipment, twilio_at)
    url = f"http://127.0.0.1:8000/webhooks/sms/twilio/{SECRET}/"
    params = {"From": "+48600100200", "Body": "STOP", "MessageSid": "SMreply"}
    with twilio_at(FakeSmsGateway()):
        client.post(
            url.removeprefix("http://127.0.0.1:8000"),
            params,
            HTTP_X_TWILIO_SIGNATURE=twilio_signature("twilio-auth-token", url, params),
        )
    assert SmsOptOut.objects.filter(shop=shipment.shop, phone="+48600100200", reason="stop").exists()


def test_the_signature_check_follows_twilio_s_algorithm():
    # Twilio's published example (twilio-python's request validator tests): auth token 12345.
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675309"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature_valid(auth_token="12345", url=url, params=params, signature=expected)
    assert not twilio_signature_valid(auth_token="12346", url=url, params=params, signature=expected)
    assert not twilio_signature_valid(auth_token="", url=url, params=params, signature="")


def test_a_shop_s_report_url_speaks_only_about_that_shop_s_sms(client, clock, shipment, sms_settings, other_shop):
    # given: shop A's SMS went through the platform's SMSAPI; shop B has its own SMSAPI account
    message = sent_sms(shipment, smsapi_at)
    other = SmsSettings.objects.create(shop=other_shop, enabled=True, provider="smsapi", secret_options={"token": "b"})
    # when: shop B's URL reports on shop A's message
    response = client.get(
        f"/webhooks/sms/smsapi/{other.webhook_token}/",
        {
            "MsgId": message.esp_message_id,
            "status": "404",
            "idx": f"pf-{shipment.shop_id}-{message.pk}",
            "to": "48600100200",
        },
    )
    # then
    assert response.status_code == 200
    assert not MessageEvent.objects.exists()
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT
