"""What campaigns give the tracking page and the emails: the one interface other apps call.

``tracking_portal`` calls :func:`page_placements`; ``notifications`` calls
:func:`campaigns.dispatch.campaign_dispatches_claim` to learn which campaign messages a status
change triggers (it stores the dispatches and returns :class:`CampaignSend` rows),
:func:`email_placements` to fill a message's marketing blocks and :func:`campaign_message` for a
campaign email's own subject, heading, body and call to action. Callers only read these dataclasses;
how they are chosen (rules, audiences, A/B variants, code pools) is this app's business.

Delayed and late-parcel campaign emails reach notifications by task name (see ``campaigns.dispatch``);
the consumer renders them with :func:`email_placements` and :func:`campaign_message` like an
immediate one.

Page placements and discount codes: viewing the page never allocates a code unless the page campaign
says so (``page_discount = "allocate"``); by default it shows the code the order already got by email
(``"existing"``), and a shared code is shown as is.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from campaigns.content import placeholder_context, render_content
from campaigns.discounts import discount_code_allocate
from campaigns.links import tracked_url
from campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignDispatch,
    DiscountAllocation,
    PageDiscount,
    Product,
    TriggerType,
)
from campaigns.selectors import (
    LATE_AGAINST,
    OrderFacts,
    ShopCatalog,
    audience_mismatch,
    campaigns_live,
    recommendations_for_order,
    variant_for_order,
)
from carriers.types import FINAL_STATUSES, Reason, Status
from shipments.lateness import shipment_is_late, shop_zone
from shipments.models import Direction, Order, Shipment, StatusChange


@dataclass(frozen=True)
class ProductCard:
    """A product to recommend; ``url`` is already the signed click-tracking redirect."""

    sku: str
    name: str
    url: str
    image_url: str = ""
    price: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class Banner:
    """A promo banner: an image and/or a line of text with a (tracked) link."""

    text: str = ""
    image_url: str = ""
    link_url: str = ""
    alt: str = ""


@dataclass(frozen=True)
class DiscountOffer:
    """A discount code given to this order, with what it is for."""

    code: str
    description: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ContentLink:
    """A piece of content to read ("the espresso guide"); ``url`` is tracked."""

    title: str
    url: str


@dataclass(frozen=True)
class Placements:
    """Marketing content for one page view or one email. Empty means: show no marketing block."""

    products: tuple[ProductCard, ...] = ()
    banner: Banner | None = None
    discount: DiscountOffer | None = None
    links: tuple[ContentLink, ...] = ()
    feedback_prompt: bool = False
    campaign_id: int | None = None
    variant: str = ""
    # Why a block the campaign wanted is missing (e.g. "discount pool empty"), for the message log.
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not (self.products or self.banner or self.discount or self.links or self.feedback_prompt)


@dataclass(frozen=True)
class CampaignSend:
    """One campaign email a status change (or a delay after it) triggers."""

    campaign_id: int
    variant: str
    send_after: datetime | None = None


@dataclass(frozen=True)
class CampaignMessage:
    """A campaign email's own words in one language; links are tracked, the body HTML is sanitized."""

    campaign_id: int
    variant: str
    language: str
    subject: str
    heading: str
    body_html: str
    body_text: str
    cta_text: str = ""
    cta_url: str = ""


DEFAULT_PAGE_PRODUCTS = 4
DEFAULT_EMAIL_PRODUCTS = 3
_FINAL = {status.value for status in FINAL_STATUSES}


def _cards(
    products: tuple[Product, ...], *, order: Order, source: str, campaign_id: int | None, variant: str
) -> tuple[ProductCard, ...]:
    return tuple(
        ProductCard(
            sku=product.sku,
            name=product.name,
            url=tracked_url(
                target_url=product.url, order=order, source=source, campaign_id=campaign_id, variant=variant
            ),
            image_url=product.image_url,
            price=product.price,
            currency=product.currency or order.currency,
        )
        for product in products
    )


def _links(
    links: tuple[tuple[str, str], ...], *, order: Order, source: str, campaign_id: int | None, variant: str
) -> tuple[ContentLink, ...]:
    return tuple(
        ContentLink(
            title=title,
            url=tracked_url(target_url=url, order=order, source=source, campaign_id=campaign_id, variant=variant),
        )
        for title, url in links
    )


def _shop_banner(order: Order, *, source: str) -> Banner | None:
    shop = order.shop
    if not (shop.banner_text or shop.banner_image):
        return None
    link = tracked_url(target_url=shop.banner_url, order=order, source=source) if shop.banner_url else ""
    return Banner(
        text=shop.banner_text,
        image_url=shop.banner_image.url if shop.banner_image else "",
        link_url=link,
        alt=shop.banner_text or shop.name,
    )


def content_for(campaign: Campaign, *, variant: str, language: str) -> CampaignContent | None:
    """The campaign's content for ``variant`` in ``language``, else the shop's language, else English, else any."""
    contents = list(campaign.contents.all())
    for wanted_variant in (variant, None):
        rows = [c for c in contents if wanted_variant is None or c.variant == wanted_variant]
        for wanted_language in (language, campaign.shop.locale, "en"):
            for content in rows:
                if content.language == wanted_language:
                    return content
        if rows:
            return rows[0]
    return None


def _campaign_banner(
    content: CampaignContent | None,
    *,
    order: Order,
    source: str,
    campaign_id: int,
    variant: str,
) -> Banner | None:
    if content is None or not (content.banner_text or content.banner_image_url or content.heading):
        return None
    link = content.banner_link_url or content.cta_url
    return Banner(
        text=content.banner_text or content.heading,
        image_url=content.banner_image_url,
        link_url=(
            tracked_url(target_url=link, order=order, source=source, campaign_id=campaign_id, variant=variant)
            if link
            else ""
        ),
        alt=content.banner_text or content.heading,
    )


def _offer(allocation: DiscountAllocation, description: str) -> DiscountOffer:
    return DiscountOffer(code=allocation.code, description=description, expires_at=allocation.expires_at)


def _page_trigger_fires(campaign: Campaign, shipments: list[Shipment], order: Order, now: datetime) -> bool:
    if campaign.trigger_type == TriggerType.LATE_OR_EXCEPTION:
        zone = shop_zone(order.shop)
        for shipment in shipments:
            if shipment.status in _FINAL:
                continue
            if shipment.status == Status.EXCEPTION or shipment.reason == Reason.DELAYED:
                return True
            if any(
                shipment_is_late(shipment, now=now, against=against, zone=zone, promised=order.promised_delivery_date)
                for against in LATE_AGAINST
            ):
                return True
        return False
    if campaign.trigger_type == TriggerType.FEEDBACK_DETRACTOR:
        return False  # an email reacting to a score, not a page placement
    if not campaign.trigger_status:
        return True
    for shipment in shipments:
        if shipment.status != campaign.trigger_status:
            continue
        if campaign.trigger_type == TriggerType.STATUS_ENTERED:
            return True
        entered = shipment.status_changed_at
        if entered is not None and (now - entered).total_seconds() >= campaign.delay_hours * 3600:
            return True
    return False


def page_placements(*, order: Order, language: str) -> Placements:
    """Marketing slots for ``order``'s tracking page.

    The highest-priority live page campaign whose trigger fits a parcel of the order now and whose
    audience holds the order decides banner, products and code; without one the page shows the
    shop's banner, recommended products and content links. A handful of queries; the page caches
    the result per order version (so a time-based trigger shows from the next version on).
    """
    now = timezone.now()
    facts = OrderFacts(order)
    shipments = [shipment for shipment in facts.shipments if shipment.direction == Direction.OUTBOUND]
    delivered = any(shipment.status == Status.DELIVERED for shipment in shipments)
    campaign = next(
        (
            candidate
            for candidate in campaigns_live(shop_id=order.shop_id, now=now).filter(show_on_page=True)
            if _page_trigger_fires(candidate, shipments, order, now) and audience_mismatch(candidate, facts) is None
        ),
        None,
    )
    if campaign is None:
        recommendation = recommendations_for_order(order=order, limit=DEFAULT_PAGE_PRODUCTS, facts=facts)
        return Placements(
            products=_cards(recommendation.products, order=order, source="page", campaign_id=None, variant=""),
            banner=_shop_banner(order, source="page"),
            links=_links(recommendation.links, order=order, source="page", campaign_id=None, variant=""),
            feedback_prompt=delivered,
        )

    variant = variant_for_order(campaign=campaign, order_id=order.pk)
    content = content_for(campaign, variant=variant, language=language)
    tracking = {"order": order, "source": "page", "campaign_id": campaign.pk, "variant": variant}
    products: tuple[ProductCard, ...] = ()
    links: tuple[ContentLink, ...] = ()
    if campaign.show_products:
        recommendation = recommendations_for_order(order=order, limit=campaign.max_products, facts=facts)
        products = _cards(recommendation.products, **tracking)
        links = _links(recommendation.links, **tracking)
    discount, notes = None, []
    pool = campaign.discount_pool
    if pool is not None and campaign.page_discount != PageDiscount.NONE:
        if not pool.is_unique and pool.shared_code and campaign.page_discount == PageDiscount.EXISTING:
            discount = DiscountOffer(code=pool.shared_code, description=pool.description, expires_at=pool.expires_at)
        elif campaign.page_discount == PageDiscount.ALLOCATE:
            outcome = discount_code_allocate(pool=pool, order=order, campaign=campaign, variant=variant, now=now)
            if outcome.allocation is not None:
                discount = _offer(outcome.allocation, pool.description)
            else:
                notes.append(outcome.note)
        else:
            allocation = DiscountAllocation.objects.filter(pool=pool, order=order).first()
            if allocation is not None:
                discount = _offer(allocation, pool.description)
    return Placements(
        products=products,
        banner=_campaign_banner(content, **tracking) if campaign.show_banner else None,
        discount=discount,
        links=links,
        feedback_prompt=delivered,
        campaign_id=campaign.pk,
        variant=variant,
        notes=tuple(notes),
    )


def _campaign_of(order: Order, campaign_id: int) -> Campaign | None:
    # Only a campaign of the order's own shop: a forged or stale id never leaks another shop's content.
    return (
        Campaign.objects.filter(pk=campaign_id, shop_id=order.shop_id)
        .select_related("discount_pool", "shop")
        .prefetch_related("contents")
        .first()
    )


def _variant_of(campaign: Campaign, order: Order) -> str:
    stored = CampaignDispatch.objects.filter(campaign=campaign, order=order).values_list("variant", flat=True).first()
    return stored or variant_for_order(campaign=campaign, order_id=order.pk)


def email_placements(
    *,
    status_change: StatusChange,
    campaign_id: int | None,
    language: str,
    order: Order | None = None,
    catalog: ShopCatalog | None = None,
) -> Placements:
    """Marketing blocks for the email about ``status_change`` (``campaign_id`` None = transactional).

    Transactional emails carry recommendations and content links only with marketing consent. A
    campaign email gets its banner, products and a discount code: a unique code is allocated once
    per (order, pool) and reused on retries; an empty or expired pool gives no code and a note.
    ``order`` is the status change's order when the caller already holds it (a sending batch, with
    its items prefetched), and ``catalog`` its shop's (``shop_catalogs``); otherwise both are read
    from the database.
    """
    if order is None:
        change = StatusChange.objects.select_related("shipment__order__shop").get(pk=status_change.pk)
        order = change.shipment.order
    else:
        change = status_change
    if campaign_id is None:
        if not order.email_marketing_consent:
            return Placements(feedback_prompt=change.to_status == Status.DELIVERED)
        recommendation = recommendations_for_order(order=order, limit=DEFAULT_EMAIL_PRODUCTS, catalog=catalog)
        return Placements(
            products=_cards(recommendation.products, order=order, source="email", campaign_id=None, variant=""),
            banner=_shop_banner(order, source="email"),
            links=_links(recommendation.links, order=order, source="email", campaign_id=None, variant=""),
            feedback_prompt=change.to_status == Status.DELIVERED,
        )
    campaign = _campaign_of(order, campaign_id)
    if campaign is None:
        return Placements(notes=(f"campaign {campaign_id} not found in this shop",))
    variant = _variant_of(campaign, order)
    content = content_for(campaign, variant=variant, language=language)
    tracking = {"order": order, "source": "email", "campaign_id": campaign.pk, "variant": variant}
    products: tuple[ProductCard, ...] = ()
    links: tuple[ContentLink, ...] = ()
    if campaign.show_products:
        recommendation = recommendations_for_order(order=order, limit=campaign.max_products, catalog=catalog)
        products = _cards(recommendation.products, **tracking)
        links = _links(recommendation.links, **tracking)
    discount, notes = None, []
    if campaign.discount_pool is not None:
        outcome = discount_code_allocate(pool=campaign.discount_pool, order=order, campaign=campaign, variant=variant)
        if outcome.allocation is not None:
            discount = _offer(outcome.allocation, campaign.discount_pool.description)
        else:
            notes.append(outcome.note)
    return Placements(
        products=products,
        banner=_campaign_banner(content, **tracking) if campaign.show_banner else None,
        discount=discount,
        links=links,
        feedback_prompt=False,
        campaign_id=campaign.pk,
        variant=variant,
        notes=tuple(notes),
    )


def campaign_message(
    *, status_change: StatusChange, campaign_id: int, language: str, message_id: int | None = None
) -> CampaignMessage | None:
    """The campaign email's subject, heading, body (sanitized HTML + text) and CTA, or None if gone.

    Placeholders (``{{ first_name }}``, ``{{ order_number }}``, ``{{ shop_name }}``,
    ``{{ discount_code }}``) are filled in a sandbox; every link in the body and the CTA is tracked
    (with ``message_id`` when given).
    """
    change = StatusChange.objects.select_related("shipment__order__shop").get(pk=status_change.pk)
    order = change.shipment.order
    campaign = _campaign_of(order, campaign_id)
    if campaign is None:
        return None
    variant = _variant_of(campaign, order)
    content = content_for(campaign, variant=variant, language=language)
    if content is None:
        return None
    code = ""
    if campaign.discount_pool is not None:
        # The same allocation email_placements makes (once per order and pool), whichever runs first.
        outcome = discount_code_allocate(pool=campaign.discount_pool, order=order, campaign=campaign, variant=variant)
        code = outcome.allocation.code if outcome.allocation is not None else ""

    def track(url: str) -> str:
        return tracked_url(
            target_url=url, order=order, source="email", campaign_id=campaign.pk, variant=variant, message_id=message_id
        )

    rendered = render_content(
        subject=content.subject,
        heading=content.heading,
        body_markdown=content.body_markdown,
        context=placeholder_context(
            customer_name=order.customer_name,
            order_number=order.number,
            shop_name=order.shop.name,
            discount_code=code,
        ),
        rewrite_link=track,
    )
    return CampaignMessage(
        campaign_id=campaign.pk,
        variant=variant,
        language=content.language,
        subject=rendered.subject or campaign.name,
        heading=rendered.heading,
        body_html=rendered.body_html,
        body_text=rendered.body_text,
        cta_text=content.cta_text if content.cta_url else "",
        cta_url=track(content.cta_url) if content.cta_url else "",
    )
