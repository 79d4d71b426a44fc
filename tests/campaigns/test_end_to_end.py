"""From a status change to the customer's inbox: notifications asks campaigns, each email gets its own code."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from campaigns.models import DiscountAllocation
from notifications import outbox, sending
from notifications.models import Message
from tests.campaigns.factories import (
    CampaignContentFactory,
    CampaignFactory,
    DiscountCodeFactory,
    DiscountPoolFactory,
    ProductFactory,
    RecommendationRuleFactory,
)
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _email(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    sending._connections.clear()
    mail.outbox = []
    with time_machine.travel(NOW, tick=False):
        yield
    sending._connections.clear()


def test_two_orders_get_campaign_emails_with_products_and_different_codes(shop):
    ProductFactory(shop=shop, sku="MACHINE")
    ProductFactory(shop=shop, sku="BEANS", name="Etiopia Guji 250 g")
    RecommendationRuleFactory(shop=shop, match_kind="sku", match_value="MACHINE", recommend_value="BEANS")
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="THANKS-AAAA")
    DiscountCodeFactory(pool=pool, code="THANKS-BBBB")
    campaign = CampaignFactory(shop=shop, trigger_status="delivered", discount_pool=pool, frequency_cap_count=0)
    CampaignContentFactory(campaign=campaign, language="pl")

    for number in ("E2E-1", "E2E-2"):
        order = OrderFactory(shop=shop, number=number)
        OrderItemFactory(order=order, sku="MACHINE")
        shipment = ShipmentFactory(order=order, status="delivered")
        StatusChangeFactory(shipment=shipment, from_status="in_transit", to_status="out_for_delivery", occurred_at=NOW)
        change = StatusChangeFactory(
            shipment=shipment, from_status="out_for_delivery", to_status="delivered", occurred_at=NOW
        )
        outbox.status_change_process(status_change_id=change.pk, now=NOW)
        for message in Message.objects.filter(order=order, campaign_id=campaign.pk):
            Message.objects.filter(pk=message.pk).update(send_after=NOW)
            sending.message_send(message_id=message.pk, now=NOW)

    campaign_messages = Message.objects.filter(campaign_id=campaign.pk).order_by("order__number")
    assert [m.status for m in campaign_messages] == ["sent", "sent"]
    codes = dict(DiscountAllocation.objects.values_list("order__number", "code"))
    assert sorted(codes.values()) == ["THANKS-AAAA", "THANKS-BBBB"]
    for message in campaign_messages:
        assert codes[message.order.number] in message.html_body
        assert "Etiopia Guji 250 g" in message.html_body
    # The marketer's own words go out, not the transactional text: subject, heading, body and a tracked CTA.
    message = campaign_messages.first()
    assert message.subject == "Dziękujemy za zakupy"
    assert "Może coś jeszcze?" in message.html_body
    assert "<strong>nowości</strong>" in message.html_body
    assert "Do sklepu" in message.html_body
    assert "https://shop.example/new" not in message.html_body  # only through the signed click redirect
    assert "/r/" in message.html_body
