"""``doctor`` tries every SMS gateway account by a read-only call (faked at the HTTP seam): platform and shops."""

import base64

import httpx
import pytest

from notifications.sms.fake_gateway import FakeSmsGateway
from notifications.sms.models import SmsSettings
from ops import sms_dry_calls
from ops.doctor import Level, providers
from tests.ops.test_doctor import doctor

pytestmark = pytest.mark.django_db
PUBLIC = ["93.184.216.34"]


def gateways(answers):
    """A transport answering by host (an exception instance is raised instead), and the requests it saw."""
    calls = []

    def answer(request):
        calls.append(request)
        reply = answers[request.url.host]
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(reply, json={})

    return httpx.MockTransport(answer), calls


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def twilio_platform(settings):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_TWILIO_BASE_URL = "https://twilio.local.test/"
    settings.SMS_TWILIO_ACCOUNT_SID = "AC0123"
    settings.SMS_TWILIO_AUTH_TOKEN = "platform-auth"
    settings.SMS_HTTP_TIMEOUT = (2.0, 7.0)


def test_platform_and_shop_accounts_are_tried_and_a_refused_shop_credential_is_named(twilio_platform, shop, other_shop):
    # given the platform on Twilio, one shop on its own SMSAPI account whose token was revoked, another on Twilio
    SmsSettings.objects.create(shop=shop, provider="smsapi", secret_options={"token": "revoked"})
    SmsSettings.objects.create(
        shop=other_shop, provider="twilio", secret_options={"account_sid": "AC999", "auth_token": "shop-auth"}
    )
    transport, calls = gateways({"twilio.local.test": 200, "api.smsapi.pl": 401, "api.twilio.com": 200})

    findings = list(providers.check_sms_credentials(transport=transport, resolver=lambda host, port: PUBLIC))

    by_name = {finding.name: finding for finding in findings}
    assert findings[0].name == "platform SMS"
    assert {(f.name, f.level) for f in findings} == {
        ("platform SMS", Level.OK),
        (f"SMS gateway of shop {shop.slug}", Level.ERROR),
        (f"SMS gateway of shop {other_shop.slug}", Level.OK),
    }
    refused = by_name[f"SMS gateway of shop {shop.slug}"]
    assert refused.detail == "SMSAPI refused the credentials (HTTP 401)"
    assert "Admin → Notifications → SMS settings" in refused.fix
    assert "revoked" not in refused.detail + refused.fix
    assert by_name["platform SMS"].detail == "Twilio (account AC0123) accepted the credentials"
    # read-only calls, with each account's own credentials, and timeouts on every one
    sent = {str(call.url): call for call in calls}
    assert [call.method for call in calls] == ["GET"] * 3
    assert sent["https://twilio.local.test/2010-04-01/Accounts/AC0123.json"].headers["Authorization"] == basic(
        "AC0123", "platform-auth"
    )
    assert sent["https://api.smsapi.pl/profile"].headers["Authorization"] == "Bearer revoked"
    assert sent["https://api.twilio.com/2010-04-01/Accounts/AC999.json"].headers["Authorization"] == basic(
        "AC999", "shop-auth"
    )
    for call in calls:
        assert call.extensions["timeout"] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}


@pytest.mark.parametrize(
    ("backend", "host", "detail", "fix"),
    [
        ("twilio", "twilio.local.test", "Twilio (account AC0123) refused the credentials (HTTP 401)", "SMS_TWILIO"),
        ("smsapi", "smsapi.local.test", "SMSAPI refused the credentials (HTTP 401)", "SMS_SMSAPI_TOKEN"),
    ],
)
def test_a_refused_platform_credential_is_an_error_naming_the_setting(
    twilio_platform, settings, backend, host, detail, fix
):
    settings.SMS_BACKEND = backend
    settings.SMS_SMSAPI_BASE_URL = "https://smsapi.local.test/"
    settings.SMS_SMSAPI_TOKEN = "old-token"
    transport, calls = gateways({host: 401})

    (finding,) = providers.check_sms_credentials(transport=transport)

    assert (finding.name, finding.level, finding.detail) == ("platform SMS", Level.ERROR, detail)
    assert fix in finding.fix
    assert len(calls) == 1


def test_the_outbox_is_fine_for_the_demo_and_a_warning_in_production(settings, db):
    settings.SMS_BACKEND = "outbox"
    (demo,) = providers.check_sms_credentials()
    settings.PRODUCTION = True
    (production,) = providers.check_sms_credentials()

    assert (demo.level, production.level) == (Level.OK, Level.WARNING)
    assert (
        production.detail == "database outbox: SMS are only stored, never sent (fine for the demo, not for production)"
    )
    assert "SMS_BACKEND" in production.fix


def test_a_missing_platform_credential_is_an_error_without_a_call(twilio_platform, settings):
    settings.SMS_TWILIO_AUTH_TOKEN = ""
    transport, calls = gateways({})

    (finding,) = providers.check_sms_credentials(transport=transport)

    assert (finding.level, finding.detail) == (Level.ERROR, "Twilio (account AC0123): missing auth_token")
    assert calls == []


def test_a_shop_gateway_resolving_to_an_internal_address_is_refused_before_any_request(twilio_platform, shop):
    SmsSettings.objects.create(shop=shop, provider="smsapi", secret_options={"token": "t"})
    transport, calls = gateways({"twilio.local.test": 200, "api.smsapi.pl": 200})

    findings = list(providers.check_sms_credentials(transport=transport, resolver=lambda host, port: ["10.0.0.5"]))

    shop_finding = findings[1]
    assert (shop_finding.name, shop_finding.level) == (f"SMS gateway of shop {shop.slug}", Level.ERROR)
    assert shop_finding.detail.startswith("SMSAPI: address refused")
    assert [call.url.host for call in calls] == ["twilio.local.test"]


def test_an_unreachable_gateway_is_a_warning_and_invalid_shop_settings_an_error(twilio_platform, shop, other_shop):
    SmsSettings.objects.create(shop=shop, provider="smsapi", secret_options={"token": "t", "url": "http://10.0.0.1"})
    transport, _ = gateways({"twilio.local.test": httpx.ConnectTimeout("timed out")})

    platform, invalid = providers.check_sms_credentials(transport=transport)

    assert (platform.level, platform.detail) == (Level.WARNING, "Twilio (account AC0123) unreachable: ConnectTimeout")
    assert (invalid.name, invalid.level) == (f"SMS gateway of shop {shop.slug}", Level.ERROR)
    assert invalid.detail.startswith("invalid settings:")


def test_the_doctor_command_fails_on_a_refused_sms_credential(twilio_platform, monkeypatch):
    # given the platform's Twilio token was revoked (every other provider check has nothing to call)
    transport, _ = gateways({"twilio.local.test": 401})
    monkeypatch.setattr(providers, "sms_dry_call_client", _with_transport(transport))

    code, out = doctor("providers")

    assert code == 1
    assert "platform SMS: Twilio (account AC0123) refused the credentials (HTTP 401)" in out
    assert "fix: Correct SMS_TWILIO_ACCOUNT_SID" in out


def _with_transport(transport):
    def client(**kwargs):
        return sms_dry_calls.sms_dry_call_client(**kwargs | {"transport": transport})

    return client


@pytest.mark.parametrize("backend", ["smsapi", "twilio"])
def test_the_loopback_fake_gateway_refuses_a_revoked_key_and_the_doctor_names_it(settings, backend):
    # given the platform pointed at the fake gateway (as a demo or staging does), first with a good key
    with FakeSmsGateway() as fake:
        settings.SMS_BACKEND = backend
        settings.SMS_SMSAPI_BASE_URL = settings.SMS_TWILIO_BASE_URL = fake.url
        settings.SMS_TWILIO_ACCOUNT_SID = "AC0123"
        settings.SMS_SMSAPI_TOKEN = settings.SMS_TWILIO_AUTH_TOKEN = "good-key"
        settings.SMS_HTTP_TIMEOUT = (2.0, 5.0)
        (good,) = providers.check_sms_credentials()
        # when the key is revoked
        settings.SMS_SMSAPI_TOKEN = settings.SMS_TWILIO_AUTH_TOKEN = "revoked-key"
        (bad,) = providers.check_sms_credentials()

    # then the doctor says so, and nothing was sent
    assert (good.level, bad.level) == (Level.OK, Level.ERROR)
    assert bad.detail.endswith("refused the credentials (HTTP 401)")
    assert fake.accepted == []
