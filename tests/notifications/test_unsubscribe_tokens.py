"""Unsubscribe tokens: an opaque signed message id, old links still honoured, tokens masked in logs."""

import base64
import logging

import pytest
from django.core import signing
from django.test import Client

from notifications import unsubscribe
from notifications.models import Suppression
from tests.notifications.factories import MessageFactory
from tracking_portal.security import TokenMaskingFilter, mask_tokens

pytestmark = pytest.mark.django_db


def path_of(url):
    return url.removeprefix("http://127.0.0.1:8000")


def test_the_link_shows_neither_the_address_nor_anything_decoding_to_it(shop):
    # given
    message = MessageFactory(status_change__shipment__order__shop=shop, to_email="anna.kowalska@example.com")
    # when
    token = path_of(unsubscribe.unsubscribe_url_for(message_id=message.pk)).split("/")[3]
    # then
    assert token.split(":")[0] == str(message.pk)
    decoded = b"".join(
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(":")[1:] if part
    )
    assert b"anna" not in decoded and b"example" not in decoded
    assert unsubscribe.unsubscribe_token_parse(token=token) == (shop.pk, "anna.kowalska@example.com")


def test_a_token_with_another_message_id_is_refused(shop):
    # given: a genuine token whose id is swapped for another message's
    mine = MessageFactory(status_change__shipment__order__shop=shop, to_email="anna@example.com")
    theirs = MessageFactory(status_change__shipment__order__shop=shop, to_email="bob@example.com")
    token = path_of(unsubscribe.unsubscribe_url_for(message_id=mine.pk)).split("/")[3]
    forged = f"{theirs.pk}:{token.split(':', 1)[1]}"
    # when
    response = Client().post(f"/email/unsubscribe/{forged}/")
    # then
    assert response.status_code == 404
    assert Suppression.objects.count() == 0


def test_links_in_emails_sent_before_still_unsubscribe(shop):
    # given: a token in the old format (base64 JSON with the address)
    token = signing.dumps({"s": shop.pk, "e": "anna@example.com"}, salt="notifications.unsubscribe", compress=True)
    # when
    response = Client().post(f"/email/unsubscribe/{token}/")
    # then
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.shop_id, suppression.email, suppression.reason) == (shop.pk, "anna@example.com", "unsubscribed")


def test_unsubscribe_redirect_and_webhook_tokens_are_masked():
    legacy = signing.dumps({"s": 1, "e": "anna@example.com"}, salt="notifications.unsubscribe", compress=True)
    webhook_token = "k" * 43

    assert mask_tokens(f"POST /email/unsubscribe/{legacy}/ HTTP/1.1") == "POST /email/unsubscribe/[token]/ HTTP/1.1"
    assert mask_tokens("GET /email/unsubscribe/123:AbC-dEf_0123456789xyz/ 200") == (
        "GET /email/unsubscribe/[token]/ 200"
    )
    assert mask_tokens("GET /r/.eJwrTy0qzszPs1IyNDA0MDI3s:1tGxyz:Sig-nature_0123 302") == "GET /r/[token] 302"
    assert mask_tokens("GET /u/Zm9vYmFyYmF6cXV4 200") == "GET /u/[token] 200"
    assert mask_tokens(f"POST /webhooks/esp/postmark/{webhook_token}/tracking/ 200") == (
        "POST /webhooks/esp/postmark/[token]/tracking/ 200"
    )
    assert mask_tokens("POST /webhooks/esp/postmark/tracking/ 200") == "POST /webhooks/esp/postmark/tracking/ 200"


def test_the_log_filter_masks_an_unsubscribe_path_in_an_access_record():
    # given
    legacy = signing.dumps({"s": 1, "e": "anna@example.com"}, salt="notifications.unsubscribe", compress=True)
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s', None, None)
    record.args = (f"GET /email/unsubscribe/{legacy}/ HTTP/1.1", "200", "512")
    # when
    kept = TokenMaskingFilter().filter(record)
    # then
    assert kept is True
    assert record.getMessage() == '"GET /email/unsubscribe/[token]/ HTTP/1.1" 200 512'
