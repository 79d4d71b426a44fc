"""Fixtures of the SMS tests: a shop that texts, a parcel out for delivery, gateways on loopback."""

import pytest
from django.test import override_settings

from notifications import outbox
from notifications.models import Message, MessageChannel
from notifications.sms.gateway import sms_backends_reset
from notifications.sms.models import SmsSettings
from tests.notifications.conftest import make_change


@pytest.fixture(autouse=True)
def fresh_sms_backends():
    sms_backends_reset()
    yield
    sms_backends_reset()


@pytest.fixture
def sms_settings(shop, settings_row):
    return SmsSettings.objects.create(shop=shop, enabled=True, sender_name="MyShop")


def queued_sms(shipment, to_status="out_for_delivery"):
    """The SMS of a new status change of ``shipment`` (its email is created beside it)."""
    change = make_change(shipment, to_status=to_status)
    outbox.status_change_process(status_change_id=change.pk)
    return Message.objects.get(status_change=change, channel=MessageChannel.SMS)


def smsapi_at(fake, **extra):
    return override_settings(
        SMS_BACKEND="smsapi",
        SMS_SMSAPI_BASE_URL=fake.url,
        SMS_SMSAPI_TOKEN="smsapi-token",
        SMS_HTTP_TIMEOUT=(1, 1),
        NOTIFICATIONS_RETRY_BASE_SECONDS=1,
        **extra,
    )


def twilio_at(fake, **extra):
    return override_settings(
        SMS_BACKEND="twilio",
        SMS_TWILIO_BASE_URL=fake.url,
        SMS_TWILIO_ACCOUNT_SID="AC123",
        SMS_TWILIO_AUTH_TOKEN="twilio-auth-token",
        SMS_TWILIO_MESSAGING_SERVICE_SID="",
        SMS_HTTP_TIMEOUT=(1, 1),
        NOTIFICATIONS_RETRY_BASE_SECONDS=1,
        **extra,
    )
