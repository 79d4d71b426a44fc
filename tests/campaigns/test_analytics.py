"""Campaign results: numbers match the messages, clicks, codes and redemptions recorded."""

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import ProgrammingError

from campaigns.analytics import campaign_report, message_counts, two_proportion_z_test
from campaigns.discounts import discount_code_allocate, discount_redemptions_record
from campaigns.links import tracked_url
from notifications.models import Message
from tests.campaigns.factories import CampaignFactory, DiscountCodeFactory, DiscountPoolFactory
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _message(campaign, variant, *, status="sent", delivered=False, opened=False):
    order = OrderFactory(shop=campaign.shop)
    shipment = ShipmentFactory(order=order)
    change = StatusChangeFactory(shipment=shipment, to_status="delivered")
    return Message.objects.create(
        shop=campaign.shop,
        trigger_kind="status_change",
        trigger_id=change.pk,
        status_change=change,
        order=order,
        shipment=shipment,
        campaign_key=campaign.pk,
        campaign_id=campaign.pk,
        variant=variant,
        to_status="delivered",
        to_email=order.customer_email,
        language="pl",
        status=status,
        send_after=NOW,
        delivered_at=NOW if delivered else None,
        opened_at=NOW if opened else None,
    )


def _click(client, message, *, source="email"):
    url = tracked_url(
        target_url="https://shop.example/",
        order=message.order,
        source=source,
        campaign_id=message.campaign_id,
        variant=message.variant,
        message_id=message.pk,
    )
    assert client.get(urlsplit(url).path).status_code == 302


def test_report_counts_match_messages_clicks_codes_and_revenue(client, shop):
    shop.website_url = "https://shop.example"
    shop.save(update_fields=["website_url"])
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="A-CODE")
    DiscountCodeFactory(pool=pool, code="B-CODE")
    campaign = CampaignFactory(shop=shop, variants="A:50, B:50", discount_pool=pool)
    a1 = _message(campaign, "A", delivered=True, opened=True)
    _message(campaign, "A", delivered=True)
    _message(campaign, "A", status="failed")
    b1 = _message(campaign, "B", delivered=True, opened=True)
    _message(campaign, "B", delivered=True, opened=True)
    _click(client, a1)
    _click(client, a1)  # the same reader twice: one clicking order
    _click(client, b1)
    _click(client, b1, source="page")
    discount_code_allocate(pool=pool, order=a1.order, campaign=campaign, variant="A")
    discount_code_allocate(pool=pool, order=b1.order, campaign=campaign, variant="B")
    discount_redemptions_record(shop=shop, rows=[{"code": "B-CODE", "order_number": "9001", "amount": "120.50"}])
    other = CampaignFactory(shop=shop)
    _message(other, "A", delivered=True)

    report = campaign_report(campaign=campaign)

    rows = {
        entry.variant: (
            entry.sent,
            entry.delivered,
            entry.opened,
            entry.clicked,
            entry.email_clicks,
            entry.page_clicks,
            entry.codes_allocated,
            entry.codes_redeemed,
            entry.revenue,
        )
        for entry in [*report.variants, report.total]
    }
    assert rows == {
        "A": (2, 2, 1, 1, 2, 0, 1, 0, Decimal("0.00")),
        "B": (2, 2, 2, 1, 1, 1, 1, 1, Decimal("120.50")),
        "total": (4, 4, 3, 2, 3, 1, 2, 1, Decimal("120.50")),
    }
    assert report.variants[0].ctr == 0.5
    assert report.message_data is True
    assert [s.variant for s in report.significance] == ["B"]
    assert report.significance[0].enough_data is False


def test_without_message_data_sent_counts_dispatches(shop, monkeypatch):
    import campaigns.analytics

    monkeypatch.setattr(campaigns.analytics, "message_counts", lambda campaign_id: None)
    campaign = CampaignFactory(shop=shop)

    report = campaign_report(campaign=campaign)

    assert report.message_data is False
    assert (report.total.delivered, report.total.opened) == (None, None)


def test_message_counts_are_unknown_without_a_registered_source(shop, monkeypatch):
    import campaigns.analytics

    monkeypatch.setattr(campaigns.analytics, "_message_counts_sources", [])

    assert message_counts(campaign_id=1) is None


def test_message_counts_tolerate_a_missing_table(shop, monkeypatch):
    import campaigns.analytics

    def missing(campaign_id):
        raise ProgrammingError('relation "notifications_message" does not exist')

    monkeypatch.setattr(campaigns.analytics, "_message_counts_sources", [missing])

    assert message_counts(campaign_id=1) is None


def test_z_test_matches_the_textbook_value():
    # 200/1000 vs 250/1000: pooled p = 0.225, z = 0.05 / sqrt(0.225 * 0.775 * 0.002) = 2.6774
    z, p_value = two_proportion_z_test(200, 1000, 250, 1000)

    assert round(z, 4) == 2.6774
    assert round(p_value, 4) == 0.0074


def test_z_test_without_data_is_neutral():
    assert two_proportion_z_test(0, 0, 5, 10) == (0.0, 1.0)
    assert two_proportion_z_test(0, 10, 0, 10) == (0.0, 1.0)
