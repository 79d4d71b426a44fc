"""ESP tracking webhooks (anymail, basic auth) and the unsubscribe page."""

import base64
import json

import pytest
from django.test import Client

from notifications import unsubscribe
from notifications.models import Message, MessageEvent, MessageStatus, Suppression
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "/webhooks/esp/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"esp:hook-secret").decode()


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "esp:hook-secret"}


@pytest.fixture
def sent_message(shop):
    message = MessageFactory(
        status_change__shipment__order__shop=shop, status=MessageStatus.SENT, esp_message_id="pm-1"
    )
    return message


def post_event(client, payload, auth=AUTH):
    return client.post(WEBHOOK_URL, data=json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth)


def delivery(message, **extra):
    return {
        "RecordType": "Delivery",
        "MessageID": "pm-1",
        "Recipient": message.to_email,
        "DeliveredAt": "2026-11-04T10:05:00Z",
        "Details": "250 OK",
        "Metadata": {"message_id": str(message.pk), "shop_id": str(message.shop_id)},
        **extra,
    }


def bounce(message, bounce_type, event_id=42):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": bounce_type,
        "MessageID": "pm-1",
        "Email": message.to_email,
        "BouncedAt": "2026-11-04T10:06:00Z",
        "Description": "The server was unable to deliver your message",
        "Metadata": {"message_id": str(message.pk), "shop_id": str(message.shop_id)},
    }


def test_delivered_event_is_recorded_once(client, sent_message):
    # when
    first = post_event(client, delivery(sent_message))
    second = post_event(client, delivery(sent_message))
    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert MessageEvent.objects.filter(message=sent_message).count() == 1
    sent_message.refresh_from_db()
    assert sent_message.last_event == "delivered"
    assert sent_message.delivered_at.isoformat() == "2026-11-04T10:05:00+00:00"


def test_webhook_without_the_secret_records_nothing(client, sent_message):
    # when
    response = post_event(client, delivery(sent_message), auth="Basic " + base64.b64encode(b"esp:wrong").decode())
    # then
    assert response.status_code == 400
    assert MessageEvent.objects.count() == 0


def test_hard_bounce_suppresses_the_address_for_that_shop_only(client, sent_message, other_shop):
    # when
    post_event(client, bounce(sent_message, "HardBounce"))
    # then
    suppression = Suppression.objects.get()
    assert (suppression.shop_id, suppression.email, suppression.reason) == (
        sent_message.shop_id,
        sent_message.to_email,
        "bounced",
    )
    sent_message.refresh_from_db()
    assert sent_message.bounced_at is not None


def test_soft_bounce_does_not_suppress(client, sent_message):
    # when
    post_event(client, bounce(sent_message, "SoftBounce"))
    # then
    assert MessageEvent.objects.get().event_type == "bounced"
    assert Suppression.objects.count() == 0


def test_spam_complaint_suppresses(client, sent_message):
    # when
    payload = {**bounce(sent_message, "SpamComplaint"), "RecordType": "SpamComplaint"}
    post_event(client, payload)
    # then
    assert Suppression.objects.get().reason == "complained"
    sent_message.refresh_from_db()
    assert sent_message.complained_at is not None


def test_event_for_another_shops_message_id_is_not_attached(client, sent_message, other_shop):
    # given: forged metadata naming our message but another shop
    payload = delivery(sent_message, Metadata={"message_id": str(sent_message.pk), "shop_id": str(other_shop.pk)})
    payload["MessageID"] = "unknown-id"
    # when
    post_event(client, payload)
    # then
    assert MessageEvent.objects.count() == 0


def test_delivery_event_settles_an_unknown_outcome_as_sent(client, sent_message):
    # given
    Message.objects.filter(pk=sent_message.pk).update(
        status=MessageStatus.UNKNOWN, reason="Outcome unknown: no answer", esp_message_id=""
    )
    # when
    post_event(client, delivery(sent_message))
    # then
    sent_message.refresh_from_db()
    assert (sent_message.status, sent_message.esp_message_id) == (MessageStatus.SENT, "pm-1")
    assert (sent_message.reconciliation, sent_message.reconciled_by) == ("event", "provider event")
    assert "A provider event showed it was sent (delivered)" in sent_message.reconciliation_log


def test_delivery_event_leaves_a_failed_message_failed(client, sent_message):
    # given: refused by the ESP, not unknown
    Message.objects.filter(pk=sent_message.pk).update(status=MessageStatus.FAILED, reason="ESP refused the email")
    # when
    post_event(client, delivery(sent_message))
    # then
    sent_message.refresh_from_db()
    assert (sent_message.status, sent_message.reconciliation) == (MessageStatus.FAILED, "")
    assert sent_message.delivered_at is not None


def unsubscribe_path(shop, email):
    message = MessageFactory(status_change__shipment__order__shop=shop, to_email=email)
    return unsubscribe.unsubscribe_url_for(message_id=message.pk).removeprefix("http://127.0.0.1:8000")


def test_unsubscribe_get_asks_and_post_unsubscribes(shop):
    # given
    url = unsubscribe_path(shop, "Anna@Example.com")
    client = Client(enforce_csrf_checks=True)
    # when
    page = client.get(url)
    # then
    assert page.status_code == 200
    assert "anna@example.com" in page.content.decode()
    assert '<form method="post">' in page.content.decode()
    assert Suppression.objects.count() == 0
    # when: one-click POST as a mail client sends it, without any CSRF cookie
    done = client.post(url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    # then
    assert done.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.shop_id, suppression.email, suppression.reason) == (shop.pk, "anna@example.com", "unsubscribed")


def test_tampered_unsubscribe_token_changes_nothing(client, shop):
    # given
    url = unsubscribe_path(shop, "anna@example.com")
    forged = url.replace("/email/unsubscribe/", "/email/unsubscribe/x")
    # when
    response = client.post(forged)
    # then
    assert response.status_code == 404
    assert Suppression.objects.count() == 0
