"""'Send a test SMS to me': the shop's text for a status on sample data, through the shop's gateway, to a person testing."""

from __future__ import annotations

import uuid

from django.conf import settings

from notifications.sms.backends import SmsGatewayError, SmsRequest
from notifications.sms.content import sample_sms_facts, sms_render
from notifications.sms.gateway import sms_backend_for
from notifications.sms.selectors import sms_settings_for, sms_template_body_for
from shops.models import Shop
from shops.phones import sms_recipient


class SmsTestRefused(Exception):
    """The test SMS could not go: the number is not a mobile one, or the gateway refused or failed."""


def sms_send_test(*, shop: Shop, status: str, language: str, phone: str) -> str:
    """Text the shop's SMS for ``status`` in ``language`` on sample data to ``phone``; the number in E.164."""
    recipient = sms_recipient(raw=phone, country=shop.locale.upper() if shop.locale != "en" else "")
    if not recipient.e164:
        raise SmsTestRefused(f"{recipient.reason}: write your mobile number with its country prefix, e.g. +48…")
    conf = sms_settings_for(shop=shop)
    body = sms_template_body_for(shop=shop, status=status, language=language)
    text = sms_render(
        sample_sms_facts(shop=shop, status=status, language=language), override=body, transliterate=conf.transliterate
    )
    request = SmsRequest(
        to=recipient.e164,
        body=f"[TEST] {text}",
        sender=conf.sender_name or settings.SMS_DEFAULT_SENDER,
        reference=f"test-{uuid.uuid4().hex}",
        shop_id=shop.pk,
    )
    try:
        sms_backend_for(shop=shop).send(request)
    except SmsGatewayError as error:
        raise SmsTestRefused(f"The gateway did not take the test SMS: {error}") from error
    return recipient.e164
