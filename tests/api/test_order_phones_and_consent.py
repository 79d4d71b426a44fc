"""Orders through the API: phone numbers stored in E.164 (a bad one is a 422 naming the field), consent per channel."""

import pytest

from shipments.models import Order

pytestmark = pytest.mark.django_db


def test_the_api_refuses_a_bad_number_with_the_field(api, shop):
    response = api.post("/orders", {"number": "A-9", "customer_phone": "12", "shipping_country": "PL"})
    assert response.status_code == 422
    assert "customer_phone" in response.content.decode()
    assert not Order.objects.filter(number="A-9").exists()


def test_the_api_takes_both_consents_and_the_old_field_as_email_consent(api, shop):
    api.post("/orders", {"number": "A-1", "sms_marketing_consent": True})
    api.post("/orders", {"number": "A-2", "marketing_consent": True})
    body = api.get("/orders/A-1").json()
    assert (body["email_marketing_consent"], body["sms_marketing_consent"]) == (False, True)
    assert body["sms_marketing_consent_at"] is not None
    legacy = Order.objects.get(number="A-2")
    assert (legacy.email_marketing_consent, legacy.sms_marketing_consent) == (True, False)
