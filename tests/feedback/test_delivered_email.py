"""The delivered email carries the one-click score links (0-10 or 1-5), with or without marketing consent."""

import re

import pytest

from notifications.content import message_content
from shipments.links import feedback_token
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db


def _message(shop, *, status="delivered", consent=True, language="en"):
    order = OrderFactory(shop=shop, email_marketing_consent=consent, locale=language)
    parcel = ShipmentFactory(order=order, status=status)
    change = StatusChangeFactory(shipment=parcel, to_status=status)
    return MessageFactory(status_change=change, language=language), order


@pytest.mark.parametrize("consent", [True, False])
def test_the_delivered_email_has_eleven_signed_score_links(shop, settings, consent):
    settings.PUBLIC_BASE_URL = "https://track.example"
    message, order = _message(shop, consent=consent)

    rendered = message_content(message).rendered

    token = feedback_token(order_id=order.pk)
    links = re.findall(r'href="(https://track\.example/f/[^"]+)"', rendered.html)
    assert links == [f"https://track.example/f/{token}?score={n}" for n in range(11)]
    assert "How likely are you to recommend us to a friend?" in rendered.html
    assert f"10: https://track.example/f/{token}?score=10" in rendered.text


def test_a_csat_shop_asks_for_one_to_five_in_the_customers_language(shop):
    shop.feedback_scale = "csat"
    shop.save()
    message, _ = _message(shop, language="de")

    rendered = message_content(message).rendered

    scores = re.findall(r"/f/[^\"?]+\?score=(\d+)\"", rendered.html)
    assert scores == ["1", "2", "3", "4", "5"]
    assert "Wie war deine Lieferung?" in rendered.html


def test_other_statuses_carry_no_score_links(shop):
    message, _ = _message(shop, status="out_for_delivery")

    rendered = message_content(message).rendered

    assert "/f/" not in rendered.html and "/f/" not in rendered.text
