"""Campaign validation with errors a marketer can act on (used by the admin forms and services)."""

from collections.abc import Iterable
from dataclasses import dataclass

from campaigns.content import template_errors
from campaigns.models import (
    Campaign,
    CampaignStatus,
    MatchKind,
    PageDiscount,
    PoolKind,
    RecommendationRule,
    RecommendKind,
    TriggerType,
    text_to_list,
)
from campaigns.selectors import parse_variants
from carriers.registry import carrier_codes
from shops.languages import SUPPORTED_LANGUAGES

MAX_PRODUCTS = 12


def campaign_errors(campaign: Campaign) -> dict[str, list[str]]:
    """Field → problems of the campaign's own settings (content is checked by :func:`content_errors`)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not (campaign.send_email or campaign.show_on_page):
        add("send_email", "Choose where the campaign appears: an email, the tracking page, or both.")
    if campaign.trigger_type in (TriggerType.STATUS_ENTERED, TriggerType.DELAY_AFTER_STATUS):
        if not campaign.trigger_status and campaign.send_email:
            add("trigger_status", "Choose the parcel status that triggers the email.")
    elif campaign.trigger_status:
        add("trigger_status", "Leave empty: this trigger is not a parcel status.")
    if campaign.trigger_type == TriggerType.DELAY_AFTER_STATUS and campaign.delay_hours < 1:
        add("delay_hours", "Give the delay in hours, e.g. 72 for three days after the status.")
    if campaign.trigger_type != TriggerType.DELAY_AFTER_STATUS and campaign.delay_hours:
        add("delay_hours", "A delay only applies to the trigger 'some time after a parcel enters a status'.")
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        add("ends_at", "The end must be after the start.")
    if (
        campaign.min_order_value is not None
        and campaign.max_order_value is not None
        and campaign.min_order_value > campaign.max_order_value
    ):
        add("max_order_value", "The maximum order value must not be below the minimum.")
    bad_countries = [code for code in text_to_list(campaign.countries) if len(code) != 2 or not code.isalpha()]
    if bad_countries:
        add("countries", f"Use two-letter ISO codes like PL, CZ (not {', '.join(bad_countries)}).")
    bad_languages = [code for code in text_to_list(campaign.languages) if code not in SUPPORTED_LANGUAGES]
    if bad_languages:
        add("languages", f"Unknown language(s) {', '.join(bad_languages)}; use {', '.join(SUPPORTED_LANGUAGES)}.")
    known_carriers = set(carrier_codes())
    bad_carriers = [code for code in text_to_list(campaign.carriers) if code not in known_carriers]
    if bad_carriers:
        add("carriers", f"Unknown carrier(s) {', '.join(bad_carriers)}; known: {', '.join(sorted(known_carriers))}.")
    try:
        parse_variants(campaign.variants)
    except ValueError as error:
        add("variants", f"Write variants as key:weight pairs, e.g. A:50, B:50 — {error}.")
    if campaign.max_products > MAX_PRODUCTS:
        add("max_products", f"At most {MAX_PRODUCTS} products.")
    if campaign.frequency_cap_count and not campaign.frequency_cap_days:
        add("frequency_cap_days", "Give the number of days the cap counts over.")
    pool = campaign.discount_pool
    if pool is not None:
        if campaign.shop_id and pool.shop_id != campaign.shop_id:
            add("discount_pool", "This discount pool belongs to another shop.")
        if pool.kind == PoolKind.SHARED and not pool.shared_code:
            add("discount_pool", "This shared-code pool has no code yet.")
    if campaign.page_discount == PageDiscount.ALLOCATE and pool is None:
        add("page_discount", "Giving a code on the page needs a discount pool.")
    if campaign.show_on_page and not (campaign.show_banner or campaign.show_products or pool is not None):
        add("show_on_page", "On the page the campaign shows nothing: enable the banner, products or a discount.")
    return errors


@dataclass(frozen=True)
class ContentRow:
    """The fields of one content row being validated (from a form or a model)."""

    variant: str
    language: str
    subject: str = ""
    heading: str = ""
    body_markdown: str = ""
    cta_text: str = ""
    cta_url: str = ""


def content_errors(campaign: Campaign, contents: Iterable[ContentRow], *, shop_language: str) -> list[str]:
    """Problems with the content rows as a whole, against the campaign's variants and placement."""
    rows = list(contents)
    problems: list[str] = []
    try:
        keys = [key for key, _ in parse_variants(campaign.variants)]
    except ValueError:
        keys = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        label = f"Content {row.variant}/{row.language}"
        if keys and row.variant not in keys:
            problems.append(
                f"{label}: variant {row.variant!r} is not one of the campaign's variants ({', '.join(keys)})."
            )
        if (row.variant, row.language) in seen:
            problems.append(f"{label}: listed twice.")
        seen.add((row.variant, row.language))
        for name in ("subject", "heading", "body_markdown"):
            problem = template_errors(getattr(row, name))
            if problem:
                problems.append(f"{label}, {name.replace('_markdown', '')}: {problem}")
        if bool(row.cta_text) != bool(row.cta_url):
            problems.append(f"{label}: a call to action needs both its text and its link.")
        if campaign.send_email and not row.subject.strip():
            problems.append(f"{label}: an email campaign needs a subject.")
    if campaign.status == CampaignStatus.ACTIVE:
        for key in keys:
            languages = {row.language for row in rows if row.variant == key}
            if not languages:
                problems.append(f"Variant {key} has no content; add at least the shop's language ({shop_language}).")
            elif shop_language not in languages:
                problems.append(
                    f"Variant {key} has no content in the shop's language ({shop_language}), the fallback for customers "
                    "whose language has none."
                )
    return problems


def rule_errors(rule: RecommendationRule) -> dict[str, list[str]]:
    """Field → problems of a recommendation rule."""
    errors: dict[str, list[str]] = {}
    if rule.match_kind != MatchKind.ANY and not rule.match_value.strip():
        errors.setdefault("match_value", []).append("Say what the order must contain (SKUs, a category or a tag).")
    if rule.recommend_kind != RecommendKind.NOTHING and not rule.recommend_value.strip():
        errors.setdefault("recommend_value", []).append("Say what to recommend (SKUs, a category or a tag).")
    if bool(rule.link_title) != bool(rule.link_url):
        errors.setdefault("link_url", []).append("A content link needs both a title and a URL.")
    if rule.recommend_kind == RecommendKind.NOTHING and not rule.link_url:
        errors.setdefault("link_url", []).append("A rule without products needs a content link.")
    return errors
