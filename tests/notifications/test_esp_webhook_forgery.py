"""Forged ESP tracking events: per-shop webhook URLs and secrets, matching by ESP id and recipient."""

import base64
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from notifications.esp_events import UNMATCHED_COUNTER
from notifications.models import Message, MessageEvent, MessageStatus, NotificationSettings, Suppression
from notifications.views import shop_esp_webhook_url
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db

PLATFORM_URL = "/webhooks/esp/postmark/tracking/"
PLATFORM_AUTH = "Basic " + base64.b64encode(b"esp:hook-secret").decode()


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "esp:hook-secret"}
    cache.clear()


def own_esp(shop):
    conf, _ = NotificationSettings.objects.get_or_create(shop=shop)
    conf.esp_provider, conf.esp_secret_options = "postmark", {"server_token": f"token-{shop.pk}"}
    conf.save()
    return conf


def shop_url_and_auth(conf):
    path = f"/webhooks/esp/postmark/{conf.esp_webhook_token}/tracking/"
    return path, "Basic " + base64.b64encode(f"parcelfront:{conf.esp_webhook_secret}".encode()).decode()


def sent(shop, esp_id, email="anna@example.com"):
    return MessageFactory(
        status_change__shipment__order__shop=shop, to_email=email, status=MessageStatus.SENT, esp_message_id=esp_id
    )


def bounce(*, esp_id, email, metadata=None):
    return {
        "RecordType": "Bounce",
        "ID": 4242,
        "Type": "HardBounce",
        "MessageID": esp_id,
        "Email": email,
        "BouncedAt": "2026-11-04T10:06:00Z",
        "Description": "The server was unable to deliver your message",
        "Metadata": metadata or {},
    }


def post(client, url, payload, auth=None):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def test_a_shops_webhook_without_its_secret_is_refused(client, shop):
    # given
    conf = own_esp(shop)
    message = sent(shop, "pm-a")
    url, _ = shop_url_and_auth(conf)
    wrong = "Basic " + base64.b64encode(b"parcelfront:guess").decode()
    # when
    unauthenticated = post(client, url, bounce(esp_id="pm-a", email=message.to_email))
    guessed = post(client, url, bounce(esp_id="pm-a", email=message.to_email), auth=wrong)
    platform_secret = post(client, url, bounce(esp_id="pm-a", email=message.to_email), auth=PLATFORM_AUTH)
    # then
    assert (unauthenticated.status_code, guessed.status_code, platform_secret.status_code) == (400, 400, 400)
    assert MessageEvent.objects.count() == 0
    assert Suppression.objects.count() == 0


def test_an_unknown_token_or_another_provider_is_not_found(client, shop):
    # given
    conf = own_esp(shop)
    _, auth = shop_url_and_auth(conf)
    # when
    unknown = post(client, "/webhooks/esp/postmark/" + "x" * 43 + "/tracking/", {}, auth=auth)
    other = post(client, f"/webhooks/esp/mailgun/{conf.esp_webhook_token}/tracking/", {}, auth=auth)
    # then
    assert (unknown.status_code, other.status_code) == (404, 404)


def test_a_forged_bounce_from_another_shop_changes_nothing(client, shop, other_shop):
    # given: the victim's sent message, and an attacker shop with its own ESP and webhook credentials
    victim = sent(shop, "pm-victim", email="victim@example.com")
    url, auth = shop_url_and_auth(own_esp(other_shop))
    payload = bounce(
        esp_id="pm-victim",
        email="victim@example.com",
        metadata={"message_id": str(victim.pk), "shop_id": str(victim.shop_id)},
    )
    # when
    response = post(client, url, payload, auth=auth)
    # then: acknowledged, nothing changed, counted
    assert response.status_code == 200
    assert MessageEvent.objects.count() == 0
    assert Suppression.objects.count() == 0
    victim.refresh_from_db()
    assert (victim.last_event, victim.bounced_at) == ("", None)
    assert cache.get(UNMATCHED_COUNTER.format(day=timezone.now().date().isoformat())) == 1


def test_our_sequential_id_in_metadata_no_longer_picks_a_message(client, shop):
    # given: the original attack on the platform webhook — an unknown ESP id, our id in metadata, no shop id
    message = sent(shop, "pm-real")
    payload = bounce(esp_id="made-up", email=message.to_email, metadata={"message_id": str(message.pk)})
    # when
    response = post(client, PLATFORM_URL, payload, auth=PLATFORM_AUTH)
    # then
    assert response.status_code == 200
    assert MessageEvent.objects.count() == 0
    assert Suppression.objects.count() == 0


def test_an_event_for_another_recipient_is_ignored(client, shop):
    # given: the right ESP id, but a bounce naming someone else's address
    conf = own_esp(shop)
    message = sent(shop, "pm-b")
    url, auth = shop_url_and_auth(conf)
    # when
    response = post(client, url, bounce(esp_id="pm-b", email="someone-else@example.com"), auth=auth)
    # then
    assert response.status_code == 200
    assert MessageEvent.objects.count() == 0
    assert Suppression.objects.count() == 0
    message.refresh_from_db()
    assert message.bounced_at is None


def test_a_genuine_hard_bounce_on_the_shops_url_updates_and_suppresses(client, shop):
    # given
    conf = own_esp(shop)
    message = sent(shop, "pm-c", email="Anna@Example.com")
    url, auth = shop_url_and_auth(conf)
    # when
    response = post(client, url, bounce(esp_id="pm-c", email="anna@example.com"), auth=auth)
    # then
    assert response.status_code == 200
    event = MessageEvent.objects.get()
    assert (event.message_id, event.event_type, event.esp_name) == (message.pk, "bounced", "Postmark")
    message.refresh_from_db()
    assert (message.last_event, message.bounced_at.isoformat()) == ("bounced", "2026-11-04T10:06:00+00:00")
    suppression = Suppression.objects.get()
    assert (suppression.shop_id, suppression.email, suppression.reason) == (shop.pk, "anna@example.com", "bounced")


def test_a_shops_url_does_not_reach_the_platform_signal(client, shop):
    # given: a genuine delivery event on the shop's own URL
    conf = own_esp(shop)
    message = sent(shop, "pm-d")
    url, auth = shop_url_and_auth(conf)
    delivered = {
        "RecordType": "Delivery",
        "MessageID": "pm-d",
        "Recipient": message.to_email,
        "DeliveredAt": "2026-11-04T10:05:00Z",
        "Details": "250 OK",
    }
    # when
    post(client, url, delivered, auth=auth)
    # then: recorded once, not twice through the platform's signal receiver
    assert MessageEvent.objects.filter(message=message).count() == 1
    assert Message.objects.get(pk=message.pk).last_event == "delivered"


def test_the_admin_url_carries_the_shops_own_secret(shop, settings):
    # given
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    conf = own_esp(shop)
    # when
    url = shop_esp_webhook_url(conf=conf)
    # then
    assert url == (
        f"https://parcelfront:{conf.esp_webhook_secret}@track.example.com"
        f"/webhooks/esp/postmark/{conf.esp_webhook_token}/tracking/"
    )
