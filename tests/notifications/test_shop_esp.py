"""A shop's own ESP: listed providers, their own keys only, the official host only, no foreign text stored."""

import json

import pytest
import requests
from django.core.exceptions import ValidationError
from django.test import override_settings
from requests.adapters import HTTPAdapter

from notifications import outbox, sending, shop_esp
from notifications.fake_esp import FakeEsp
from notifications.models import Message, MessageStatus, NotificationSettings
from tests.notifications.conftest import make_change

pytestmark = pytest.mark.django_db

PLATFORM_ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": "platform-postmark-token",
    "MAILGUN_API_KEY": "platform-mailgun-key",
    "MAILGUN_SENDER_DOMAIN": "platform.example.com",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "platform-signing-key",
    "REQUESTS_TIMEOUT": (1, 1),
}


def queued_message(shipment):
    change = make_change(shipment, to_status="out_for_delivery")
    (message_id,) = outbox.status_change_process(status_change_id=change.pk)
    return Message.objects.get(pk=message_id)


def store_esp(shop, provider, options):
    """Store ESP settings as an old row would hold them: without the form's checks."""
    NotificationSettings.objects.filter(shop=shop).update(esp_provider=provider, esp_secret_options=options)


@pytest.fixture
def resolver(monkeypatch):
    """Every name resolves to the given addresses; the calls are recorded."""
    answer = {"addresses": ["93.184.216.34"], "calls": []}

    def resolve(host, port):
        answer["calls"].append((host, port))
        return answer["addresses"]

    monkeypatch.setattr("config.ssrf.system_resolver", resolve)
    return answer


@pytest.fixture
def esp_answers(monkeypatch):
    """The provider's API, faked below our guard: records what reached it and answers as scripted."""
    seen = {"requests": [], "status": 200, "body": {}}

    def send(adapter, request, *args, **kwargs):
        seen["requests"].append(request)
        response = requests.Response()
        response.status_code = seen["status"]
        response._content = json.dumps(seen["body"]).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url, request
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return seen


def test_the_form_refuses_api_url_and_any_other_key_with_a_clear_error(shop):
    # given
    conf = NotificationSettings(
        shop=shop,
        esp_provider="postmark",
        esp_secret_options={"server_token": "shop-token", "api_url": "http://169.254.169.254/"},
    )
    # when
    with pytest.raises(ValidationError) as error:
        conf.full_clean()
    # then
    assert error.value.message_dict == {
        "esp_secret_options": ["Postmark takes only server_token; not allowed: api_url."]
    }


def test_the_form_refuses_a_backend_path_and_missing_credentials(shop):
    # given: a backend path instead of a provider, and a provider without its token
    any_backend = NotificationSettings(shop=shop, esp_provider="anymail.backends.test.EmailBackend")
    no_token = NotificationSettings(shop=shop, esp_provider="mailjet", esp_secret_options={"api_key": "k"})
    # when
    with pytest.raises(ValidationError) as backend_error:
        any_backend.full_clean()
    with pytest.raises(ValidationError) as token_error:
        no_token.full_clean()
    # then
    assert "esp_provider" in backend_error.value.message_dict
    assert token_error.value.message_dict == {"esp_secret_options": ["Mailjet needs secret_key."]}


def test_a_valid_provider_is_saved_with_its_own_webhook_token_and_secret(shop):
    # given
    conf = NotificationSettings(shop=shop, esp_provider="mailgun", esp_secret_options={
        "api_key": "shop-key", "webhook_signing_key": "shop-signing", "region": "eu"
    })
    # when
    conf.full_clean()
    conf.save()
    # then
    assert len(conf.esp_webhook_token) == 43
    assert len(conf.esp_webhook_secret) == 43
    assert conf.esp_webhook_token != conf.esp_webhook_secret


@override_settings(ANYMAIL={**PLATFORM_ANYMAIL, "POSTMARK_API_URL": "http://10.0.0.5/steal/"})
def test_a_shop_connection_never_takes_the_platforms_credentials_or_api_url():
    # when
    postmark = shop_esp.shop_esp_connection(provider="postmark", options={"server_token": "shop-token"})
    mailgun = shop_esp.shop_esp_connection(
        provider="mailgun", options={"api_key": "shop-key", "webhook_signing_key": "s", "region": "eu"}
    )
    # then
    assert (postmark.server_token, postmark.api_url) == ("shop-token", "https://api.postmarkapp.com/")
    assert (mailgun.api_key, mailgun.sender_domain, mailgun.api_url) == (
        "shop-key",
        None,
        "https://api.eu.mailgun.net/v3/",
    )


@override_settings(ANYMAIL=PLATFORM_ANYMAIL, NOTIFICATIONS_MAX_ATTEMPTS=1)
def test_a_stored_api_url_without_a_token_sends_nothing_anywhere(clock, shipment, settings_row, resolver, esp_answers):
    # given: the attack — the shop points api_url at its own server and leaves the token out,
    # hoping the platform's token fills the gap
    with FakeEsp() as attacker:
        store_esp(settings_row.shop, "postmark", {"api_url": attacker.url})
        message = queued_message(shipment)
        # when
        outcome = sending.message_send(message_id=message.pk)
        # then
        assert attacker.requests == []
    assert outcome.status == MessageStatus.FAILED
    assert esp_answers["requests"] == []
    message.refresh_from_db()
    assert message.reason == (
        "The shop's ESP settings are invalid: Postmark takes only server_token; not allowed: api_url. "
        "Postmark needs server_token."
    )


@override_settings(ANYMAIL=PLATFORM_ANYMAIL)
def test_the_official_host_resolving_to_an_internal_address_is_refused(clock, shipment, settings_row, resolver, esp_answers):
    # given: DNS (poisoned, or a hosts file) answers with a loopback address
    resolver["addresses"] = ["127.0.0.1"]
    store_esp(settings_row.shop, "postmark", {"server_token": "shop-token"})
    message = queued_message(shipment)
    # when
    outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.FAILED
    assert esp_answers["requests"] == []
    assert resolver["calls"] == [("api.postmarkapp.com", 443)]
    message.refresh_from_db()
    assert message.reason == "The shop's ESP address was refused (not the provider's public API)"


def test_the_session_reaches_no_other_host_and_no_plain_http(resolver, esp_answers):
    # given
    connection = shop_esp.shop_esp_connection(provider="postmark", options={"server_token": "shop-token"})
    # when / then
    for url in ("https://evil.example/email", "http://api.postmarkapp.com/email", "https://api.postmarkapp.com:8443/"):
        with pytest.raises(shop_esp.EspDestinationRefused):
            connection.session.post(url, data="{}")
    assert esp_answers["requests"] == []
    assert resolver["calls"] == []


@override_settings(ANYMAIL=PLATFORM_ANYMAIL)
def test_a_shop_esp_sends_with_the_shops_token_to_the_official_host(clock, shipment, settings_row, resolver, esp_answers):
    # given
    store_esp(settings_row.shop, "postmark", {"server_token": "shop-token"})
    message = queued_message(shipment)
    esp_answers["body"] = {"To": message.to_email, "MessageID": "pm-shop-1", "ErrorCode": 0, "Message": "OK"}
    # when
    outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SENT
    (request,) = esp_answers["requests"]
    assert request.url == "https://api.postmarkapp.com/email"
    assert request.headers["X-Postmark-Server-Token"] == "shop-token"
    message.refresh_from_db()
    assert (message.esp_message_id, message.esp_name) == ("pm-shop-1", "Postmark")


@override_settings(ANYMAIL=PLATFORM_ANYMAIL)
def test_a_shop_esps_error_body_is_never_stored(clock, shipment, settings_row, resolver, esp_answers):
    # given: the ESP answers 401 with a body the shop must not read through us
    esp_answers["status"] = 401
    esp_answers["body"] = {"ErrorCode": 10, "Message": "internal-secret-banner"}
    store_esp(settings_row.shop, "postmark", {"server_token": "shop-token"})
    message = queued_message(shipment)
    # when
    outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.reason == "ESP refused the email (HTTP 401)"
    assert "internal-secret-banner" not in Message.objects.values_list("reason", flat=True).get(pk=message.pk)


def test_an_owner_saving_api_url_in_the_admin_gets_a_form_error_and_nothing_is_stored(client, owner, shop):
    # given
    conf = NotificationSettings.objects.create(shop=shop)
    client.force_login(owner)
    url = f"/admin/notifications/notificationsettings/{conf.pk}/change/"
    form = {
        "shop": shop.pk,
        "email_statuses": '["delivered"]',
        "settle_seconds": 60,
        "daily_cap_per_shipment": 4,
        "max_transition_age_hours": 48,
        "esp_provider": "postmark",
        "esp_secret_options": '{"server_token": "shop-token", "api_url": "http://169.254.169.254/"}',
    }
    # when
    response = client.post(url, form)
    # then
    assert response.status_code == 200
    assert "Postmark takes only server_token; not allowed: api_url." in response.content.decode()
    conf.refresh_from_db()
    assert (conf.esp_provider, conf.esp_secret_options, conf.esp_webhook_token) == ("", {}, None)
    # when: the same form with only the credential key
    saved = client.post(url, {**form, "esp_secret_options": '{"server_token": "shop-token"}'})
    page = client.get(url)
    # then
    assert saved.status_code == 302
    conf.refresh_from_db()
    assert (conf.esp_provider, conf.esp_secret_options) == ("postmark", {"server_token": "shop-token"})
    assert f"/webhooks/esp/postmark/{conf.esp_webhook_token}/tracking/" in page.content.decode()
