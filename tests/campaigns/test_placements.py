"""What the tracking page and the emails get from campaigns."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.cache import cache

from campaigns.discounts import discount_code_allocate
from campaigns.dispatch import campaign_dispatches_claim
from campaigns.links import click_target_for_token
from campaigns.models import DiscountAllocation
from campaigns.placements import campaign_message, email_placements, page_placements
from campaigns.setups import delay_apology_setup
from shipments.selectors import order_for_token
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
def _frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


def _target(url):
    return click_target_for_token(token=urlsplit(url).path.removeprefix("/r/"))


def _order(shop, status="in_transit", **fields):
    order = OrderFactory(shop=shop, **fields)
    OrderItemFactory(order=order, sku="MACHINE")
    shipment = ShipmentFactory(order=order, status=status, status_changed_at=NOW - timedelta(hours=1))
    return order, shipment


def _catalog(shop):
    ProductFactory(shop=shop, sku="MACHINE")
    ProductFactory(shop=shop, sku="BEANS", url="https://shop.example/beans")
    RecommendationRuleFactory(
        shop=shop,
        match_kind="sku",
        match_value="MACHINE",
        recommend_kind="skus",
        recommend_value="BEANS",
        link_title="Espresso guide",
        link_url="https://shop.example/guide",
    )


def test_page_without_campaign_shows_recommendations_and_shop_banner(shop):
    shop.banner_text = "Free returns"
    shop.banner_url = "https://shop.example/returns"
    shop.save()
    _catalog(shop)
    order, _ = _order(shop, status="delivered")

    placements = page_placements(order=order, language="pl")

    assert [card.sku for card in placements.products] == ["BEANS"]
    card_target = _target(placements.products[0].url)
    assert (card_target.target_url, card_target.source, card_target.order_id) == (
        "https://shop.example/beans",
        "page",
        order.pk,
    )
    assert [link.title for link in placements.links] == ["Espresso guide"]
    assert placements.banner.text == "Free returns"
    assert _target(placements.banner.link_url).target_url == "https://shop.example/returns"
    assert placements.feedback_prompt is True
    assert placements.campaign_id is None


def test_page_campaign_decides_banner_and_variant(shop):
    _catalog(shop)
    campaign = CampaignFactory(shop=shop, trigger_status="in_transit", show_on_page=True, send_email=False)
    CampaignContentFactory(
        campaign=campaign, language="pl", banner_text="Kawa -20%", banner_link_url="https://shop.example/kawa"
    )
    order, _ = _order(shop)

    placements = page_placements(order=order, language="pl")

    assert (placements.campaign_id, placements.variant) == (campaign.pk, "A")
    assert placements.banner.text == "Kawa -20%"
    target = _target(placements.banner.link_url)
    assert (target.campaign_id, target.variant, target.source) == (campaign.pk, "A", "page")
    assert [card.sku for card in placements.products] == ["BEANS"]


def test_page_does_not_allocate_a_code_just_for_viewing(shop):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="ONLY-ONE")
    CampaignFactory(shop=shop, trigger_status="in_transit", show_on_page=True, discount_pool=pool)
    order, _ = _order(shop)

    placements = page_placements(order=order, language="pl")

    assert placements.discount is None
    assert DiscountAllocation.objects.count() == 0


def test_page_shows_the_code_the_email_already_gave(shop):
    pool = DiscountPoolFactory(shop=shop, description="10% off")
    DiscountCodeFactory(pool=pool, code="GIVEN-1")
    campaign = CampaignFactory(shop=shop, trigger_status="in_transit", show_on_page=True, discount_pool=pool)
    order, _ = _order(shop)
    discount_code_allocate(pool=pool, order=order, campaign=campaign)

    placements = page_placements(order=order, language="pl")

    assert (placements.discount.code, placements.discount.description) == ("GIVEN-1", "10% off")


def test_page_campaign_may_allocate_on_view_once(shop):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="VIEW-1")
    DiscountCodeFactory(pool=pool, code="VIEW-2")
    CampaignFactory(
        shop=shop, trigger_status="in_transit", show_on_page=True, discount_pool=pool, page_discount="allocate"
    )
    order, _ = _order(shop)

    first = page_placements(order=order, language="pl")
    again = page_placements(order=order, language="pl")

    assert first.discount.code == again.discount.code == "VIEW-1"
    assert DiscountAllocation.objects.count() == 1


def test_page_shows_the_apology_for_a_late_parcel(shop):
    campaign = delay_apology_setup(shop=shop, code_count=10)
    order, shipment = _order(shop, email_marketing_consent=False)
    shipment.eta_to = NOW - timedelta(hours=2)
    shipment.save()

    placements = page_placements(order=order, language="en")

    assert placements.campaign_id == campaign.pk
    assert placements.banner.text == "Your parcel is running late — we're sorry"


def test_page_shows_no_apology_while_a_date_only_eta_day_is_still_running(shop):
    delay_apology_setup(shop=shop, code_count=10)
    order, shipment = _order(shop, email_marketing_consent=False)
    shipment.eta_to = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # "on the 20th" in Warsaw; now is noon of the 20th
    shipment.save()

    placements = page_placements(order=order, language="en")

    assert placements.campaign_id is None


def test_page_campaign_outside_its_trigger_is_not_shown(shop):
    CampaignFactory(shop=shop, trigger_status="delivered", show_on_page=True)
    order, _ = _order(shop, status="in_transit")

    assert page_placements(order=order, language="pl").campaign_id is None


def test_page_placements_cost_a_handful_of_queries(shop, django_assert_max_num_queries):
    _catalog(shop)
    campaign = CampaignFactory(shop=shop, trigger_status="in_transit", show_on_page=True)
    CampaignContentFactory(campaign=campaign, language="pl")
    order, _ = _order(shop)
    loaded = order_for_token(token=order.public_token)

    with django_assert_max_num_queries(8):
        page_placements(order=loaded, language="pl")


def _campaign_change(shop, **campaign_fields):
    _catalog(shop)
    campaign = CampaignFactory(shop=shop, trigger_status="delivered", **campaign_fields)
    order, shipment = _order(shop, status="delivered")
    change = StatusChangeFactory(shipment=shipment, to_status="delivered", occurred_at=NOW)
    return campaign, order, change


def test_campaign_email_gets_a_unique_code_products_and_tracked_links(shop):
    pool = DiscountPoolFactory(shop=shop, description="15% off")
    DiscountCodeFactory(pool=pool, code="MAIL-1")
    campaign, _, change = _campaign_change(shop, discount_pool=pool, variants="A:0, B:100")
    CampaignContentFactory(campaign=campaign, variant="B", language="pl", banner_text="Hej")
    campaign_dispatches_claim(status_change=change)

    placements = email_placements(status_change=change, campaign_id=campaign.pk, language="pl")
    retry = email_placements(status_change=change, campaign_id=campaign.pk, language="pl")

    assert (placements.campaign_id, placements.variant) == (campaign.pk, "B")
    assert placements.discount.code == retry.discount.code == "MAIL-1"
    assert placements.discount.description == "15% off"
    assert [card.sku for card in placements.products] == ["BEANS"]
    target = _target(placements.products[0].url)
    assert (target.source, target.campaign_id, target.variant) == ("email", campaign.pk, "B")
    assert DiscountAllocation.objects.get().variant == "B"


def test_campaign_email_with_an_empty_pool_goes_without_code_and_says_why(shop):
    pool = DiscountPoolFactory(shop=shop, name="Empty")
    campaign, _, change = _campaign_change(shop, discount_pool=pool)

    placements = email_placements(status_change=change, campaign_id=campaign.pk, language="pl")

    assert placements.discount is None
    assert placements.notes == ("discount pool 'Empty' is empty",)


def test_campaign_of_another_shop_gives_nothing(shop, other_shop):
    foreign = CampaignFactory(shop=other_shop)
    CampaignContentFactory(campaign=foreign)
    _, _, change = _campaign_change(shop)

    placements = email_placements(status_change=change, campaign_id=foreign.pk, language="pl")

    assert placements.is_empty
    assert placements.notes == (f"campaign {foreign.pk} not found in this shop",)
    assert campaign_message(status_change=change, campaign_id=foreign.pk, language="pl") is None


def test_transactional_email_recommends_only_with_consent(shop):
    _catalog(shop)
    _, shipment = _order(shop, status="delivered", email_marketing_consent=False)
    change = StatusChangeFactory(shipment=shipment, to_status="delivered", occurred_at=NOW)

    placements = email_placements(status_change=change, campaign_id=None, language="pl")

    assert placements.products == ()
    assert placements.feedback_prompt is True


def test_transactional_email_with_consent_gets_products(shop):
    _catalog(shop)
    _, shipment = _order(shop, status="out_for_delivery")
    change = StatusChangeFactory(shipment=shipment, to_status="out_for_delivery", occurred_at=NOW)

    placements = email_placements(status_change=change, campaign_id=None, language="pl")

    assert [card.sku for card in placements.products] == ["BEANS"]
    assert _target(placements.products[0].url).campaign_id is None


def test_campaign_message_fills_placeholders_sanitizes_and_tracks_links(shop):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="HELLO-1")
    campaign, order, change = _campaign_change(shop, discount_pool=pool)
    CampaignContentFactory(
        campaign=campaign,
        language="pl",
        subject="{{ first_name }}, dziękujemy za {{ order_number }}",
        heading="Kod {{ discount_code }}",
        body_markdown="Zobacz [poradnik](https://shop.example/guide)<script>alert(1)</script> i **nowości**.",
        cta_text="Do sklepu",
        cta_url="https://shop.example/",
    )

    message = campaign_message(status_change=change, campaign_id=campaign.pk, language="pl", message_id=42)

    assert message.subject == f"Anna, dziękujemy za {order.number}"
    assert message.heading == "Kod HELLO-1"
    assert "<script>" not in message.body_html
    assert "<strong>nowości</strong>" in message.body_html
    href = message.body_html.split('href="')[1].split('"')[0]
    target = _target(href.replace("&amp;", "&"))
    assert (target.target_url, target.message_id, target.campaign_id) == ("https://shop.example/guide", 42, campaign.pk)
    assert _target(message.cta_url).target_url == "https://shop.example/"
    assert "nowości" in message.body_text


def test_campaign_message_falls_back_to_the_shops_language(shop):
    campaign, _, change = _campaign_change(shop)
    CampaignContentFactory(campaign=campaign, language="pl", subject="Po polsku")

    message = campaign_message(status_change=change, campaign_id=campaign.pk, language="de")

    assert (message.language, message.subject) == ("pl", "Po polsku")
