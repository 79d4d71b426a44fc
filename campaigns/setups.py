"""Ready-made campaigns a shop sets up in one call."""

from django.db import transaction

from campaigns.apology import apology_content
from campaigns.discounts import discount_codes_generate
from campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignKind,
    CampaignStatus,
    DiscountPool,
    PageDiscount,
    PoolKind,
    TriggerType,
)
from shops.languages import SUPPORTED_LANGUAGES
from shops.models import Shop

DELAY_APOLOGY_SLUG = "delay-apology"


@transaction.atomic
def delay_apology_setup(
    *,
    shop: Shop,
    code_count: int = 500,
    code_pattern: str = "SORRY-????-????",
    discount_description: str = "10% off your next order",
    valid_days: int = 60,
    activate: bool = True,
) -> Campaign:
    """Set up the delay-apology campaign for ``shop`` in one call (again: returns the existing one).

    A late parcel (ETA or promised date passed without delivery) or an exception sends an apology
    email in the customer's language with a unique single-use voucher from a generated pool; the
    tracking page shows the same code. It is a service message about the order, so it does not
    require marketing consent and is not held back by the marketing frequency cap.
    """
    existing = Campaign.objects.filter(shop=shop, slug=DELAY_APOLOGY_SLUG).first()
    if existing is not None:
        return existing
    pool = DiscountPool.objects.create(
        shop=shop,
        name="Delay apology vouchers",
        kind=PoolKind.GENERATED,
        description=discount_description,
        valid_days=valid_days,
        low_stock_threshold=max(10, code_count // 10),
    )
    discount_codes_generate(pool=pool, pattern=code_pattern, count=code_count)
    campaign = Campaign.objects.create(
        shop=shop,
        name="Delay apology",
        slug=DELAY_APOLOGY_SLUG,
        kind=CampaignKind.DELAY_APOLOGY,
        status=CampaignStatus.ACTIVE if activate else CampaignStatus.DRAFT,
        priority=100,
        trigger_type=TriggerType.LATE_OR_EXCEPTION,
        require_marketing_consent=False,
        send_email=True,
        show_on_page=True,
        show_banner=True,
        show_products=False,
        discount_pool=pool,
        page_discount=PageDiscount.EXISTING,
        frequency_cap_count=0,
    )
    shop_url = shop.website_url
    CampaignContent.objects.bulk_create(
        CampaignContent(
            campaign=campaign,
            variant="A",
            language=language,
            subject=subject,
            heading=heading,
            body_markdown=body,
            banner_text=heading,
            cta_text=cta if shop_url else "",
            cta_url=shop_url,
        )
        for language in SUPPORTED_LANGUAGES
        for subject, heading, body, cta in [apology_content(language)]
    )
    return campaign
