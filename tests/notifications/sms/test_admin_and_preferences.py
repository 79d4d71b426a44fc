"""The SMS admin (settings, texts with live previews, test SMS, stored SMS, opt-outs) and the preferences page."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from notifications.models import Suppression
from notifications.sms.models import OutboxSms, PreferencesLink, SmsOptOut, SmsSettings, SmsTemplate
from notifications.sms.preferences import preferences_link_for, preferences_url_for
from tests.factories import MembershipFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_live_preview_counts_characters_encoding_and_segments(client, marketer, shop):
    client.force_login(marketer)
    draft = {"shop": shop.pk, "status": "out_for_delivery", "language": "pl", "body": "{{ shop_name }}: paczka dziś!"}
    response = client.post("/admin/notifications/smstemplate/preview/", draft)
    preview = response.json()
    assert response.status_code == 200
    assert preview["text"].startswith(f"{shop.name}: paczka dziś! Ustawienia i STOP: http://127.0.0.1:8000/m/")
    assert (preview["encoding"], preview["segments"], preview["per_segment"]) == ("UCS-2", 2, 67)
    assert preview["characters"] == len(preview["text"])


def test_live_preview_with_transliteration_is_gsm7(client, owner, shop):
    SmsSettings.objects.create(shop=shop, transliterate=True)
    client.force_login(owner)
    draft = {"shop": shop.pk, "status": "out_for_delivery", "language": "pl", "body": "Paczka dziś"}
    preview = client.post("/admin/notifications/smstemplate/preview/", draft).json()
    assert preview["text"].startswith("Paczka dzis Ustawienia i STOP: ")
    assert (preview["encoding"], preview["segments"]) == ("GSM-7", 1)


def test_live_preview_shows_template_errors(client, owner, shop):
    client.force_login(owner)
    draft = {"shop": shop.pk, "status": "out_for_delivery", "language": "pl", "body": "{{ order.customer_email }}"}
    preview = client.post("/admin/notifications/smstemplate/preview/", draft).json()
    assert preview["error"].startswith("Unknown variable(s): order.")


def test_live_preview_of_another_shop_is_refused(client, owner, shop, other_shop):
    client.force_login(owner)
    draft = {"shop": other_shop.pk, "status": "out_for_delivery", "language": "pl", "body": "x"}
    assert client.post("/admin/notifications/smstemplate/preview/", draft).status_code == 403


def test_an_invalid_sms_template_is_a_form_error(client, owner, shop):
    client.force_login(owner)
    response = client.post(
        "/admin/notifications/smstemplate/add/",
        {"shop": shop.pk, "status": "out_for_delivery", "language": "pl", "body": "{{ customer_name.__class__ }}"},
    )
    assert response.status_code == 200
    assert not SmsTemplate.objects.exists()


def test_previews_show_every_language_with_its_cost(client, owner, shop):
    SmsTemplate.objects.create(shop=shop, status="out_for_delivery", language="de", body="Heute: {{ order_number }}")
    client.force_login(owner)
    with time_machine.travel(datetime(2026, 11, 4, 9, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/admin/notifications/smstemplate/previews/?shop={shop.pk}").content.decode()
    summaries = dict(re.findall(r"<h2>(\w\w)(?: <small>\(customised\)</small>)? — ([^<]+)</h2>", page))
    assert page.count("Send a test SMS to me") == 5
    assert "Heute: 1001" in page
    assert "zamówienie 1001" in page
    assert summaries["PL"].endswith("UCS-2, 3 SMS (67/SMS)")  # Polish diacritics
    assert summaries["EN"].endswith("GSM-7, 2 SMS (153/SMS)")  # the ETA's en dash is sent as "-"
    assert summaries["DE"].endswith("GSM-7, 1 SMS (160/SMS)")


def test_send_a_test_sms_to_me_goes_to_the_outbox(client, owner, shop):
    client.force_login(owner)
    response = client.post(
        f"/admin/notifications/smstemplate/previews/?shop={shop.pk}&status=available_for_pickup",
        {"language": "en", "phone": "+48 601 222 333"},
    )
    assert response.status_code == 302
    stored = OutboxSms.objects.get()
    assert stored.to == "+48601222333"
    assert stored.body.startswith(f"[TEST] {shop.name}: your order 1001 is ready for pickup: Paczkomat KRA01M")


def test_a_test_sms_to_a_landline_is_refused(client, owner, shop):
    client.force_login(owner)
    client.post(
        f"/admin/notifications/smstemplate/previews/?shop={shop.pk}", {"language": "en", "phone": "+48 12 345 67 89"}
    )
    assert not OutboxSms.objects.exists()


def test_support_cannot_send_test_sms(client, support, shop):
    client.force_login(support)
    response = client.post(f"/admin/notifications/smstemplate/previews/?shop={shop.pk}", {"phone": "+48601222333"})
    assert response.status_code == 403
    assert not OutboxSms.objects.exists()


def test_sms_settings_are_owner_only_and_show_the_month_s_usage(client, owner, marketer, shop):
    conf = SmsSettings.objects.create(shop=shop, enabled=True)
    client.force_login(marketer)
    assert client.get(f"/admin/notifications/smssettings/{conf.pk}/change/").status_code in (403, 404)
    client.force_login(owner)
    page = client.get(f"/admin/notifications/smssettings/{conf.pk}/change/").content.decode()
    assert "0 of 1000 SMS sent, 0 segments, about 0.00 PLN" in page


def test_sms_settings_refuse_unknown_credential_keys_and_bad_senders(client, owner, shop):
    client.force_login(owner)
    form = {
        "shop": shop.pk,
        "enabled": "on",
        "statuses": '["out_for_delivery"]',
        "sender_name": "<script>",
        "window_start": "08:00",
        "window_end": "20:00",
        "monthly_cap": "100",
        "price_per_segment": "0.09",
        "price_currency": "PLN",
        "provider": "smsapi",
        "secret_options": '{"token": "t", "base_url": "http://10.0.0.1/"}',
    }
    response = client.post("/admin/notifications/smssettings/add/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "SMSAPI takes only token, region; not allowed: base_url." in page
    assert "3 to 11 letters" in page
    assert not SmsSettings.objects.exists()


def test_stored_sms_and_opt_outs_are_scoped_to_the_shop(client, support, shop, other_shop):
    OutboxSms.objects.create(
        shop=shop, provider_message_id="a", to="+48600000001", body="Ours", encoding="GSM-7", segments=1
    )
    OutboxSms.objects.create(
        shop=other_shop, provider_message_id="b", to="+48600000002", body="Theirs", encoding="GSM-7", segments=1
    )
    SmsOptOut.objects.create(shop=other_shop, phone="+48600000003", reason="stop")
    theirs = OutboxSms.objects.get(provider_message_id="b")
    client.force_login(support)
    listing = client.get("/admin/notifications/outboxsms/").content.decode()
    assert "+48600000001" in listing
    assert "+48600000002" not in listing
    assert client.get(f"/admin/notifications/outboxsms/{theirs.pk}/change/").status_code == 404
    assert "+48600000003" not in client.get("/admin/notifications/smsoptout/").content.decode()


def test_support_adds_an_opt_out_in_e164(client, support, shop):
    client.force_login(support)
    client.post(
        "/admin/notifications/smsoptout/add/", {"shop": shop.pk, "phone": "+48 600 100 200", "reason": "manual"}
    )
    assert list(SmsOptOut.objects.values_list("phone", flat=True)) == ["+48600100200"]


def test_preferences_link_is_128_bits_and_stable(shop):
    order = OrderFactory(shop=shop)
    link = preferences_link_for(order=order)
    assert len(link.token) == 22
    assert preferences_link_for(order=order) == link
    assert preferences_url_for(order=order) == f"http://127.0.0.1:8000/m/{link.token}/"


def test_preferences_page_saves_choices_per_channel_and_kind(client, shop):
    order = OrderFactory(shop=shop, customer_email="anna@example.com", email_marketing_consent=True)
    token = preferences_link_for(order=order).token
    page = client.get(f"/m/{token}/")
    assert page.status_code == 200
    assert "Ustawienia wiadomości" in page.content.decode()
    client.post(f"/m/{token}/", {"email_service": "on", "sms_marketing": "on"})
    order.refresh_from_db()
    assert (order.email_marketing_consent, order.sms_marketing_consent) == (False, True)
    assert order.sms_marketing_consent_at is not None
    assert SmsOptOut.objects.filter(shop=shop, phone="+48600100200", reason="preferences").exists()
    assert not Suppression.objects.exists()
    # and turning SMS back on lifts the customer's own opt-out
    client.post(f"/m/{token}/", {"email_service": "on", "sms_service": "on"})
    assert not SmsOptOut.objects.exists()


def test_an_unknown_preferences_token_is_not_found(client, shop):
    OrderFactory(shop=shop)
    response = client.get("/m/AAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status_code == 404
    assert not PreferencesLink.objects.exists()


def test_the_preferences_page_of_one_shop_touches_no_other_shop(client, shop, other_shop):
    mine = OrderFactory(shop=shop, customer_email="anna@example.com")
    OrderFactory(shop=other_shop, customer_email="anna@example.com")
    client.post(f"/m/{preferences_link_for(order=mine).token}/", {})
    assert list(Suppression.objects.values_list("shop_id", flat=True)) == [shop.pk]
    assert list(SmsOptOut.objects.values_list("shop_id", flat=True)) == [shop.pk]


@override_settings(SMS_BACKEND="outbox")
def test_a_member_of_two_shops_previews_each(client, shop, other_shop):
    user = MembershipFactory(shop=shop, role="owner").user
    MembershipFactory(shop=other_shop, role="owner", user=user)
    client.force_login(user)
    draft = {"shop": other_shop.pk, "status": "out_for_delivery", "language": "en", "body": "{{ shop_name }}"}
    assert client.post("/admin/notifications/smstemplate/preview/", draft).json()["text"].startswith("Other shop")
