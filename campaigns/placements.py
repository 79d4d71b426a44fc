"""What campaigns give the tracking page and the emails: the one interface other apps call.

``tracking_portal`` calls :func:`page_placements`; ``notifications`` calls
:func:`campaign_sends_for_status_change` to learn which campaign messages a status change triggers and
:func:`email_placements` to fill a message's marketing blocks. Callers only read these dataclasses;
how they are chosen (rules, audiences, A/B variants, code pools) is this app's business.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shipments.models import Order, StatusChange


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


def page_placements(*, order: Order, language: str) -> Placements:
    """Marketing slots for ``order``'s tracking page: until campaigns define more, the shop's banner."""
    shop = order.shop
    banner = None
    if shop.banner_text or shop.banner_image:
        banner = Banner(
            text=shop.banner_text,
            image_url=shop.banner_image.url if shop.banner_image else "",
            link_url=shop.banner_url,
            alt=shop.banner_text or shop.name,
        )
    return Placements(banner=banner, feedback_prompt=order.shipments.filter(status="delivered").exists())


def email_placements(*, status_change: StatusChange, campaign_id: int | None, language: str) -> Placements:
    """Marketing blocks for the email about ``status_change`` (``campaign_id`` None = transactional)."""
    del status_change, campaign_id, language
    return Placements()


def campaign_sends_for_status_change(*, status_change: StatusChange) -> list[CampaignSend]:
    """Campaign emails that ``status_change`` triggers, besides the shop's transactional email."""
    del status_change
    return []
