"""Numbers (E.164 on ingestion, landlines, the order's country) and gateways (per deployment, per shop, SSRF-safe)."""

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from api.csv_import import orders_csv_import
from notifications.sms.backends import OutboxSmsBackend, SmsapiBackend, SmsRefused, SmsRequest, TwilioBackend
from notifications.sms.gateway import SmsGatewayInvalid, sms_backend_for
from notifications.sms.http import OfficialHostTransport, shop_client
from notifications.sms.models import SmsSettings
from notifications.sms.providers import sms_options_errors
from shipments.models import Order
from shipments.services import order_upsert
from shops.phones import phone_normalize, sms_recipient

pytestmark = pytest.mark.django_db

REQUEST = SmsRequest(to="+48600100200", body="Hello", sender="MyShop", reference="pf-1-2", shop_id=None)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("600 100 200", "PL", "+48600100200"),
        ("+48 600-100-200", "DE", "+48600100200"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("601 123 456", "CZ", "+420601123456"),
        ("0905 123 456", "SK", "+421905123456"),
        ("600100200", "", "+48600100200"),  # no country: the home market
    ],
)
def test_numbers_are_read_in_the_order_s_country(raw, country, e164):
    assert phone_normalize(raw=raw, country=country).e164 == e164


def test_a_landline_is_a_valid_number_that_gets_no_sms():
    assert phone_normalize(raw="+48 12 345 67 89", country="PL").e164 == "+48123456789"
    assert sms_recipient(raw="+48 12 345 67 89", country="PL").reason == (
        "The phone number is a landline or cannot receive SMS"
    )


def test_ingestion_stores_e164_and_refuses_what_is_not_a_number(shop):
    order, _ = order_upsert(shop=shop, number="A-1", customer_phone="600 100 200", shipping_country="PL")
    assert order.customer_phone == "+48600100200"
    with pytest.raises(ValidationError) as refused:
        order_upsert(shop=shop, number="A-2", customer_phone="call me maybe", shipping_country="PL")
    assert refused.value.message_dict["customer_phone"] == [
        "Not a valid phone number for PL; write it with its country prefix, e.g. +48…"
    ]
    assert not Order.objects.filter(number="A-2").exists()


def test_csv_rows_with_bad_numbers_are_reported_and_nothing_is_stored(shop):
    text = (
        "order_number;customer_phone;shipping_country;sms_marketing_consent\nPF-1;600 100 200;PL;tak\nPF-2;12;PL;nie\n"
    )
    report = orders_csv_import(shop=shop, text=text, apply=True)
    assert report.applied is False
    assert not Order.objects.exists()
    (bad,) = [row for row in report.rows if not row.ok]
    assert (bad.line, bad.messages) == (
        3,
        ["customer_phone: Not a valid phone number for PL; write it with its country prefix, e.g. +48…"],
    )


def test_the_platform_gateway_is_chosen_by_settings(shop):
    assert isinstance(sms_backend_for(shop=shop), OutboxSmsBackend)
    with override_settings(SMS_BACKEND="smsapi"):
        from notifications.sms.gateway import sms_backends_reset

        sms_backends_reset()
        assert isinstance(sms_backend_for(shop=shop), SmsapiBackend)
    with override_settings(SMS_BACKEND="twilio"):
        assert isinstance(sms_backend_for(shop=shop), TwilioBackend)


def test_a_shop_s_own_gateway_takes_only_its_credential_keys():
    assert sms_options_errors(provider="smsapi", options={"token": "t", "region": "com"}) == []
    assert sms_options_errors(provider="smsapi", options={"token": "t", "base_url": "http://10.0.0.1"}) == [
        "SMSAPI takes only token, region; not allowed: base_url."
    ]
    assert sms_options_errors(provider="twilio", options={"account_sid": "AC1"}) == ["Twilio needs auth_token."]
    assert sms_options_errors(provider="vonage", options={}) == [
        "Unknown provider 'vonage'; choose one of smsapi, twilio."
    ]


def test_a_shop_s_gateway_saved_around_the_rules_is_not_used(shop):
    SmsSettings.objects.create(shop=shop, provider="smsapi", secret_options={"token": "t", "api_url": "http://x"})
    with pytest.raises(SmsGatewayInvalid):
        sms_backend_for(shop=shop)


def test_a_shop_s_gateway_uses_the_official_url_with_the_shop_s_token(shop):
    SmsSettings.objects.create(shop=shop, provider="smsapi", secret_options={"token": "shop-token", "region": "com"})
    backend = sms_backend_for(shop=shop)
    assert (backend.base_url, backend.options, backend.shop_owned) == (
        "https://api.smsapi.com/",
        {"token": "shop-token", "region": "com"},
        True,
    )


def answered(request):
    return httpx.Response(200, json={"count": 1, "list": [{"id": "ID1", "parts": 1, "idx": "pf-1-2"}]})


def test_the_official_host_transport_sends_to_public_addresses_only():
    seen = []
    inner = httpx.MockTransport(lambda request: seen.append(str(request.url)) or answered(request))
    public = OfficialHostTransport(host="api.smsapi.pl", resolver=lambda host, port: ["185.36.168.10"], inner=inner)
    backend = SmsapiBackend(
        base_url="https://api.smsapi.pl/",
        options={"token": "t"},
        client=shop_client(host="api.smsapi.pl", transport=public),
    )
    assert backend.send(REQUEST).provider_message_id == "ID1"
    assert seen == ["https://api.smsapi.pl/sms.do"]


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1"])
def test_the_official_host_transport_refuses_internal_addresses(address):
    inner = httpx.MockTransport(answered)
    transport = OfficialHostTransport(host="api.smsapi.pl", resolver=lambda host, port: [address], inner=inner)
    backend = SmsapiBackend(
        base_url="https://api.smsapi.pl/",
        options={"token": "t"},
        client=shop_client(host="api.smsapi.pl", transport=transport),
    )
    with pytest.raises(SmsRefused, match="The gateway address was refused"):
        backend.send(REQUEST)


def test_the_official_host_transport_refuses_any_other_host_or_plain_http():
    inner = httpx.MockTransport(answered)
    transport = OfficialHostTransport(host="api.twilio.com", resolver=lambda host, port: ["54.0.0.1"], inner=inner)
    for base_url in ("https://evil.example/", "http://api.twilio.com/"):
        backend = TwilioBackend(
            base_url=base_url,
            options={"account_sid": "AC1", "auth_token": "x"},
            client=shop_client(host="api.twilio.com", transport=transport),
            shop_owned=True,
        )
        with pytest.raises(SmsRefused):
            backend.send(REQUEST)


def test_a_shop_s_gateway_error_text_stays_out_of_the_reason():
    def refuse(request):
        return httpx.Response(400, json={"code": 21211, "message": "secret internal detail", "status": 400})

    transport = OfficialHostTransport(
        host="api.twilio.com", resolver=lambda host, port: ["54.0.0.1"], inner=httpx.MockTransport(refuse)
    )
    backend = TwilioBackend(
        base_url="https://api.twilio.com/",
        options={"account_sid": "AC1", "auth_token": "x"},
        client=shop_client(host="api.twilio.com", transport=transport),
        shop_owned=True,
    )
    with pytest.raises(SmsRefused) as refused:
        backend.send(REQUEST)
    assert str(refused.value) == "Twilio refused the SMS (error 21211, HTTP 400)"
    assert refused.value.bad_number is True
