"""A campaign shown on a real order of its shop, for the admin, with no side effects.

Nothing is stored: no code is allocated (the next free one is named instead), no dispatch row is
written, and links are not tracked, so previewing never pollutes the results.
"""

from dataclasses import dataclass

from campaigns.content import RenderedContent, placeholder_context, render_content
from campaigns.models import Campaign, DiscountAllocation, DiscountCode, Product, TriggerType
from campaigns.placements import content_for
from campaigns.selectors import (
    OrderFacts,
    audience_mismatch,
    pool_remaining,
    recommendations_for_order,
    variant_for_order,
)
from shipments.models import Order


@dataclass(frozen=True)
class CampaignPreview:
    """What ``order`` would get from the campaign and why (or why not)."""

    order: Order
    variant: str
    language: str
    content_language: str
    rendered: RenderedContent | None
    cta_text: str
    cta_url: str
    banner_image_url: str
    products: tuple[Product, ...]
    links: tuple[tuple[str, str], ...]
    discount: str
    audience_problem: str | None
    trigger: str


def _trigger_text(campaign: Campaign) -> str:
    if campaign.trigger_type == TriggerType.LATE_OR_EXCEPTION:
        return "when a parcel is late (ETA or promised date passed) or hits an exception"
    status = campaign.get_trigger_status_display() if campaign.trigger_status else "any status"
    if campaign.trigger_type == TriggerType.DELAY_AFTER_STATUS:
        return f"{campaign.delay_hours} h after a parcel becomes {status.lower()}"
    return f"when a parcel becomes {status.lower()}"


def _discount_text(campaign: Campaign, order: Order) -> tuple[str, str]:
    pool = campaign.discount_pool
    if pool is None:
        return "", ""
    existing = DiscountAllocation.objects.filter(pool=pool, order=order).first()
    if existing is not None:
        return f"{existing.code} (already given to this order)", existing.code
    if not pool.is_unique:
        return f"{pool.shared_code} (shared code)", pool.shared_code
    free = DiscountCode.objects.filter(pool=pool, allocated_at__isnull=True).order_by("pk").first()
    if free is None:
        return f"none: pool {pool.name!r} is empty, the email would go without a code", ""
    return f"{free.code} or the next free one ({pool_remaining(pool=pool)} left in {pool.name!r})", free.code


def campaign_preview(*, campaign: Campaign, order: Order, language: str | None = None) -> CampaignPreview:
    """Render ``campaign`` for ``order`` (which must be of the campaign's shop) without side effects."""
    if order.shop_id != campaign.shop_id:
        raise ValueError("the order belongs to another shop")
    language = language or order.effective_locale
    variant = variant_for_order(campaign=campaign, order_id=order.pk)
    content = content_for(campaign, variant=variant, language=language)
    discount_text, code = _discount_text(campaign, order)
    facts = OrderFacts(order)
    rendered = None
    if content is not None:
        rendered = render_content(
            subject=content.subject,
            heading=content.heading,
            body_markdown=content.body_markdown,
            context=placeholder_context(
                customer_name=order.customer_name,
                order_number=order.number,
                shop_name=campaign.shop.name,
                discount_code=code,
            ),
        )
    recommendation = (
        recommendations_for_order(order=order, limit=campaign.max_products, facts=facts)
        if campaign.show_products
        else None
    )
    return CampaignPreview(
        order=order,
        variant=variant,
        language=language,
        content_language=content.language if content else "",
        rendered=rendered,
        cta_text=content.cta_text if content else "",
        cta_url=content.cta_url if content else "",
        banner_image_url=content.banner_image_url if content else "",
        products=recommendation.products if recommendation else (),
        links=recommendation.links if recommendation else (),
        discount=discount_text,
        audience_problem=audience_mismatch(campaign, facts),
        trigger=_trigger_text(campaign),
    )
