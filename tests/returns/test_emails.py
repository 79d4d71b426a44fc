"""Every step of a return has its own branded email in every language, never the outbound parcel email."""

import pytest

from notifications.content import template_email_render
from returns.models import ReturnState
from shops.languages import SUPPORTED_LANGUAGES

pytestmark = pytest.mark.django_db

CONTEXT = {
    "customer_name": "Anna",
    "order_number": "PF-RET-1",
    "return_id": 7,
    "items": [["Mug", 2]],
    "method": "inpost_code",
    "return_code": "4821 9350",
    "label_url": "https://returns.inpost.test/label.pdf",
    "code_expires_text": "Tue, Dec 15, 11:59 PM",
    "rejection_reason": "Used item",
    "resolution": "store_credit",
    "resolution_note": "",
    "store_credit_code": "CREDIT-1",
    "return_address": "Sklep, ul. Zwrotna 1",
    "return_url": "https://parcelfront.test/r/token",
}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("state", ReturnState.values)
def test_each_step_renders_in_each_language(shop, state, language):
    rendered = template_email_render(
        shop=shop, template=f"return_{state}", language=language, context=CONTEXT, unsubscribe_url=""
    )

    assert "PF-RET-1" in rendered.subject
    assert "https://parcelfront.test/r/token" in rendered.text
    assert "2 x Mug" in rendered.text
    assert "Track your parcel" not in rendered.text


def test_the_code_email_shows_the_code_and_its_expiry(shop):
    rendered = template_email_render(
        shop=shop, template="return_label_issued", language="en", context=CONTEXT, unsubscribe_url=""
    )

    assert rendered.subject == "Your return code for order PF-RET-1"
    assert "4821 9350" in rendered.text
    assert "Valid until Tue, Dec 15, 11:59 PM" in rendered.text
    assert 'href="https://returns.inpost.test/label.pdf"' in rendered.html


def test_the_rejection_says_why(shop):
    rendered = template_email_render(
        shop=shop, template="return_rejected", language="en", context=CONTEXT, unsubscribe_url=""
    )

    assert "Reason: Used item" in rendered.text
