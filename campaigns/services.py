"""Recommendation rules and campaigns created in code (API, demo, set-ups), checked like the admin checks them."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign, CampaignContent, RecommendationRule
from campaigns.validation import ContentRow, campaign_errors, content_errors, rule_errors
from shops.models import Shop

CONTENT_FIELDS = (
    "variant",
    "language",
    "subject",
    "heading",
    "body_markdown",
    "banner_image_url",
    "banner_link_url",
    "banner_text",
    "cta_text",
    "cta_url",
)


def _merge_errors(*sources: Mapping[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for source in sources:
        for name, problems in source.items():
            merged.setdefault(name, []).extend(problems)
    return merged


def recommendation_rule_create(*, shop: Shop, name: str, **fields: Any) -> RecommendationRule:
    """Create a recommendation rule for ``shop``; ValidationError with field messages when it makes no sense."""
    rule = RecommendationRule(shop=shop, name=name, **fields)
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(exclude=["shop"])
    except ValidationError as error:
        errors = dict(error.message_dict)
    errors = _merge_errors(errors, rule_errors(rule))
    if errors:
        raise ValidationError(errors)
    rule.save()
    return rule


@transaction.atomic
def campaign_create(
    *, shop: Shop, name: str, slug: str, contents: Iterable[Mapping[str, str]], **fields: Any
) -> Campaign:
    """Create a campaign with its content rows (variant, language, subject, heading, body_markdown ...).

    Checked like the admin checks it; a ValidationError names every problem and stores nothing.
    """
    campaign = Campaign(shop=shop, name=name, slug=slug, **fields)
    errors: dict[str, list[str]] = {}
    try:
        campaign.full_clean(exclude=["shop"])
    except ValidationError as error:
        errors = dict(error.message_dict)
    errors = _merge_errors(errors, campaign_errors(campaign))
    rows = [{name: str(row.get(name, "") or "") for name in CONTENT_FIELDS} for row in contents]
    for row in rows:
        row["variant"] = row["variant"] or "A"
    content_rows = [ContentRow(**{name: row[name] for name in ContentRow.__dataclass_fields__}) for row in rows]
    problems = content_errors(campaign, content_rows, shop_language=shop.locale)
    if problems:
        errors = _merge_errors(errors, {"contents": problems})
    if errors:
        raise ValidationError(errors)
    campaign.save()
    for row in rows:
        content = CampaignContent(campaign=campaign, **row)
        content.full_clean(exclude=["campaign"])
        content.save()
    return campaign
