"""Creating rules and campaigns in code (API, demo): checked like the admin, all or nothing."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, CampaignContent, RecommendationRule
from campaigns.services import campaign_create, recommendation_rule_create

pytestmark = pytest.mark.django_db


def test_rule_is_created(shop):
    rule = recommendation_rule_create(
        shop=shop,
        name="Machine → beans",
        match_kind="sku",
        match_value="MACHINE",
        recommend_kind="category",
        recommend_value="beans",
        priority=5,
    )

    assert RecommendationRule.objects.get() == rule


def test_rule_without_anything_to_recommend_is_refused(shop):
    with pytest.raises(ValidationError) as error:
        recommendation_rule_create(shop=shop, name="Empty", match_kind="sku", match_value="", recommend_kind="nothing")

    assert error.value.message_dict == {
        "match_value": ["Say what the order must contain (SKUs, a category or a tag)."],
        "link_url": ["A rule without products needs a content link."],
    }
    assert RecommendationRule.objects.count() == 0


def test_campaign_with_content_is_created(shop):
    campaign = campaign_create(
        shop=shop,
        name="Review request",
        slug="review",
        trigger_type="delay_after_status",
        trigger_status="delivered",
        delay_hours=72,
        status="active",
        contents=[{"language": "pl", "subject": "Jak kawa?", "body_markdown": "Oceń **zakup**."}],
    )

    assert (campaign.delay_hours, campaign.status) == (72, "active")
    assert list(CampaignContent.objects.values_list("campaign_id", "variant", "language")) == [(campaign.pk, "A", "pl")]


def test_invalid_campaign_names_every_problem_and_stores_nothing(shop):
    with pytest.raises(ValidationError) as error:
        campaign_create(
            shop=shop,
            name="Broken",
            slug="broken",
            trigger_type="delay_after_status",
            trigger_status="delivered",
            status="active",
            contents=[{"language": "en", "subject": "{{ nope }"}],
        )

    problems = error.value.message_dict
    assert problems["delay_hours"] == ["Give the delay in hours, e.g. 72 for three days after the status."]
    assert len(problems["contents"]) == 2
    assert problems["contents"][1] == (
        "Variant A has no content in the shop's language (pl), the fallback for customers whose language has none."
    )
    assert Campaign.objects.count() == 0
