"""Render status emails: file templates (Jinja2 trios) with the shop's branding and optional shop overrides.

Files: ``templates/emails/<status>.subject.txt|.txt|.html`` when a status needs its own layout, else the
generic trio ``emails/status.*`` (which varies by status through the labels, the pickup point and
the ETA). HTML extends the branded ``emails/base.html``; CSS is inlined with css-inline; the text
part comes from a non-autoescaping overlay of the same environment.

Shop overrides (``StatusTemplate``: subject, heading, body) are plain text rendered in the bounded
sandbox of :mod:`config.sandbox` with exactly the variables in :data:`OVERRIDE_VARIABLES`; the HTML
template escapes what they produce, so a shop can change words, never markup.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import css_inline
from babel.core import get_global
from babel.numbers import format_currency
from django.conf import settings
from django.template import engines
from django.utils import translation
from jinja2 import Environment, TemplateError, meta
from markupsafe import Markup

from campaigns.placements import CampaignMessage, Placements
from config import formats
from config.sandbox import sandbox_render, shop_sandbox
from shipments.links import feedback_score_url, order_page_url
from shipments.status_texts import shipment_explanation, status_label
from shops.branding import WCAG_AA_NORMAL_TEXT, contrast_ratio, readable_text_on
from shops.languages import language_or_default
from shops.models import FeedbackScale, Shop

# The documented variables of shop-edited subject/heading/body, with what each holds.
OVERRIDE_VARIABLES: dict[str, str] = {
    "customer_name": "The customer's name as the order has it (may be empty)",
    "order_number": "The shop's order number, e.g. 1001",
    "shop_name": "The shop's name",
    "status_label": "The status in the customer's language, e.g. 'Out for delivery'",
    "status_explanation": "One sentence on what the status means for the customer",
    "tracking_url": "The order's tracking page link",
    "tracking_number": "The carrier's tracking number",
    "carrier": "The carrier's code, e.g. inpost",
    "eta": "Expected delivery in words, or empty",
    "pickup_point_name": "The pickup point's name, or empty",
    "pickup_point_address": "The pickup point's address, or empty",
    "latest_event_text": "The carrier's latest event, verbatim, or empty",
}

logger = logging.getLogger(__name__)

URGENT_STATUSES = frozenset({"out_for_delivery", "available_for_pickup"})
# An expected delivery means something only while the parcel is still coming to the door.
ETA_STATUSES = frozenset({"pending", "info_received", "in_transit", "out_for_delivery", "failed_attempt", "exception"})


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered email: subject, plain-text part and inlined HTML part."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class EmailFacts:
    """Everything an email shows, gathered from the database (or made up for previews)."""

    shop: Shop
    language: str
    status: str
    reason: str
    customer_name: str
    order_number: str
    order_token: str
    tracking_number: str
    carrier: str
    timezone: str
    eta_from: datetime | None = None
    eta_to: datetime | None = None
    pickup_point: dict[str, Any] | None = None
    latest_event_text: str = ""
    latest_event_location: str = ""
    latest_event_at: datetime | None = None
    items: tuple[tuple[str, int], ...] = ()
    placements: Placements | None = None
    unsubscribe_url: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    # The customer's contact preferences page (email/SMS per kind), linked from every message.
    preferences_url: str = ""
    # A campaign email's own subject, heading, sanitized body and call to action (None: transactional).
    campaign: CampaignMessage | None = None
    # The signed returns-portal link of a delivered order that may still be returned ('' otherwise).
    returns_portal_url: str = ""
    # The delivered email's one-click score links: (score, absolute signed URL) on the shop's scale.
    score_links: tuple[tuple[int, str], ...] = ()


def project_environment() -> Environment:
    """The project Jinja2 environment (config.jinja2) that Django's Jinja2 backend built."""
    return engines["jinja2"].env  # type: ignore[attr-defined]


@cache
def text_environment() -> Environment:
    # Same loader, filters and i18n, but no autoescaping: the plain-text part must not contain &amp;.
    return project_environment().overlay(autoescape=False)


@cache
def css_inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def customer_timezone(*, country: str, shop_timezone: str) -> str:
    """The customer's timezone: their country's when it has only one, else the shop's."""
    zones = get_global("territory_zones").get((country or "").upper(), ())
    return zones[0] if len(zones) == 1 else shop_timezone


def absolute_url(url: str) -> str:
    """Emails need absolute links: media paths get the public base URL."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return f"{settings.PUBLIC_BASE_URL}{url}"


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(timezone))


def eta_text(*, eta_from: datetime | None, eta_to: datetime | None, timezone: str, language: str) -> str:
    """Expected delivery in words: a day, a day with a time window, or a range of days."""
    if eta_from is None and eta_to is None:
        return ""
    start, end = eta_from or eta_to, eta_to or eta_from
    return formats.delivery_window(start, end, language=language, zone=zoneinfo.ZoneInfo(timezone))  # type: ignore[arg-type]


def _pickup_address(point: dict[str, Any] | None) -> str:
    if not point:
        return ""
    street = point.get("address", "")
    town = " ".join(part for part in (point.get("postcode", ""), point.get("city", "")) if part)
    return ", ".join(part for part in (street, town) if part)


def override_values(facts: EmailFacts) -> dict[str, str]:
    """The values of :data:`OVERRIDE_VARIABLES` for one email (all strings)."""
    point = facts.pickup_point or {}
    return {
        "customer_name": facts.customer_name,
        "order_number": facts.order_number,
        "shop_name": facts.shop.name,
        "status_label": status_label(facts.status, facts.language),
        "status_explanation": shipment_explanation(facts.status, facts.reason, facts.language),
        "tracking_url": order_page_url(token=facts.order_token),
        "tracking_number": facts.tracking_number,
        "carrier": facts.carrier,
        "eta": eta_text(eta_from=facts.eta_from, eta_to=facts.eta_to, timezone=facts.timezone, language=facts.language)
        if facts.status in ETA_STATUSES
        else "",
        "pickup_point_name": str(point.get("name", "")),
        "pickup_point_address": _pickup_address(facts.pickup_point),
        "latest_event_text": facts.latest_event_text,
    }


SAMPLE_VALUES = {name: f"[{name}]" for name in OVERRIDE_VARIABLES}


def override_errors(*, subject: str, heading: str, body: str) -> dict[str, str]:
    """Form errors for shop-edited snippets: syntax errors, unknown variables, sandbox violations and limits."""
    errors: dict[str, str] = {}
    for name, source in (("subject", subject), ("heading", heading), ("body", body)):
        if not source:
            continue
        try:
            parsed = shop_sandbox().parse(source)
            unknown = sorted(meta.find_undeclared_variables(parsed) - OVERRIDE_VARIABLES.keys())
            if unknown:
                errors[name] = f"Unknown variable(s): {', '.join(unknown)}. Available: {', '.join(OVERRIDE_VARIABLES)}."
                continue
            sandbox_render(source, SAMPLE_VALUES)
        except TemplateError as error:
            errors[name] = f"Template error: {error.message or error}"
    return errors


def _render_override(source: str, values: dict[str, str]) -> str:
    if not source:
        return ""
    try:
        return sandbox_render(source, values).strip()
    except TemplateError:
        # Validated on save, so only a changed variable set or a value past the sandbox's limits gets
        # here: the built-in text still goes out.
        logger.exception("shop template override failed; using the file template")
        return ""


def _paragraphs(text: str) -> list[str]:
    return [" ".join(chunk.split("\n")).strip() for chunk in text.replace("\r\n", "\n").split("\n\n") if chunk.strip()]


def _money(amount: Decimal | None, currency: str, language: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency or "EUR", locale=language)


def brand_colours(shop: Shop) -> dict[str, str]:
    return {
        "primary": shop.primary_color,
        "on_primary": readable_text_on(shop.primary_color),
        # Links in the brand colour only when it stays readable on the background.
        "link": shop.primary_color
        if contrast_ratio(shop.primary_color, shop.background_color) >= WCAG_AA_NORMAL_TEXT
        else shop.text_color,
        "accent": shop.accent_color,
        "on_accent": readable_text_on(shop.accent_color),
        "background": shop.background_color,
        "text": shop.text_color,
        # One of shops.models.FONT_STACKS (our CSS, never the shop's text): its quotes must reach the
        # stylesheet as quotes, not as &#34;, which ends the declaration once the CSS is inlined.
        "font_stack": Markup(shop.font_stack),  # noqa: S704
        "logo_url": absolute_url(shop.logo.url) if shop.logo else "",
        "banner_image_url": absolute_url(shop.banner_image.url) if shop.banner_image else "",
        "banner_text": shop.banner_text,
        "banner_url": shop.banner_url,
    }


def email_context(facts: EmailFacts) -> dict[str, Any]:
    """The template context of a status email (file templates; overrides see only their own set)."""
    values = override_values(facts)
    heading = _render_override(facts.overrides.get("heading", ""), values) or values["status_label"]
    body = _render_override(facts.overrides.get("body", ""), values)
    campaign = facts.campaign
    if campaign is not None:
        heading = campaign.heading or campaign.subject
        body = campaign.body_text
    placements = facts.placements if facts.placements and not facts.placements.is_empty else None
    latest_at = ""
    if facts.latest_event_at:
        local = _local(facts.latest_event_at, facts.timezone)
        latest_at = (
            f"{formats.day_month(local, language=facts.language)}, {formats.clock(local, language=facts.language)}"
        )
    return {
        **values,
        "shop": facts.shop,
        "brand": brand_colours(facts.shop),
        "language": facts.language,
        "status": facts.status,
        "reason": facts.reason,
        "urgent": facts.status in URGENT_STATUSES,
        "heading": heading,
        "body_paragraphs": _paragraphs(body) if body else [values["status_explanation"]],
        "custom_subject": campaign.subject
        if campaign is not None
        else _render_override(facts.overrides.get("subject", ""), values),
        # Sanitized with nh3 by campaigns (campaigns.content), so it is safe to insert as HTML.
        "campaign_body_html": Markup(campaign.body_html) if campaign is not None else "",  # noqa: S704
        "campaign_cta": (campaign.cta_text, campaign.cta_url) if campaign is not None and campaign.cta_url else None,
        "preheader": values["status_explanation"] if not body else _paragraphs(body)[0][:140],
        "pickup_point": facts.pickup_point or None,
        "latest_event_at": latest_at,
        "latest_event_location": facts.latest_event_location,
        "items": facts.items,
        "placements": placements,
        "money": lambda amount, currency: _money(amount, currency, facts.language),
        "format_day": lambda moment: (
            formats.full_date(moment, language=facts.language) if isinstance(moment, date) else ""
        ),
        "absolute": absolute_url,
        "unsubscribe_url": facts.unsubscribe_url,
        "preferences_url": facts.preferences_url,
        "support_email": facts.shop.support_email,
        "footer_text": facts.shop.footer_text,
        "website_url": facts.shop.website_url,
        "returns_portal_url": facts.returns_portal_url,
        "score_links": facts.score_links,
        "score_scale": facts.shop.feedback_scale,
    }


def score_links_for(*, order_id: int, scale: str) -> tuple[tuple[int, str], ...]:
    """The signed one-click score links of an order: 0-10 (NPS) or 1-5 (CSAT)."""
    scores = range(0, 11) if scale == FeedbackScale.NPS else range(1, 6)
    return tuple((score, feedback_score_url(order_id=order_id, score=score)) for score in scores)


def email_render(facts: EmailFacts) -> RenderedEmail:
    """Render the subject, text and inlined HTML of one status email in ``facts.language``."""
    language = language_or_default(facts.language)
    context = email_context(facts)
    names = [f"emails/{facts.status}", "emails/status"]
    with translation.override(language):
        html_template = project_environment().select_template([f"{name}.html" for name in names])
        text_template = text_environment().select_template([f"{name}.txt" for name in names])
        subject_template = text_environment().select_template([f"{name}.subject.txt" for name in names])
        subject = context["custom_subject"] or subject_template.render(context)
        html = html_template.render(context)
        text = text_template.render(context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=css_inliner().inline(html))


def sample_facts(*, shop: Shop, status: str, language: str, overrides: dict[str, str] | None = None) -> EmailFacts:
    """Made-up but realistic facts for previews and test emails: never touches customer data."""
    from campaigns.placements import DiscountOffer, ProductCard

    now = datetime.now(tz=UTC)
    point = None
    if status == "available_for_pickup":
        point = {
            "id": "KRA01M",
            "name": "Paczkomat KRA01M",
            "address": "ul. Floriańska 1",
            "postcode": "31-019",
            "city": "Kraków",
            "opening_hours": "24/7",
        }
    placements = Placements(
        products=(
            ProductCard(
                sku="SAMPLE-1",
                name="Ceramic mug",
                url=shop.website_url or settings.PUBLIC_BASE_URL,
                price=Decimal("49.00"),
                currency="PLN",
            ),
        ),
        discount=DiscountOffer(code="THANKS10", description="10% off your next order"),
    )
    return EmailFacts(
        shop=shop,
        language=language,
        status=status,
        reason="",
        customer_name="Anna Kowalska",
        order_number="1001",
        order_token="sample-order-token",  # noqa: S106 - a made-up page token for previews
        tracking_number="620000000000000000000001",
        carrier="inpost",
        timezone=shop.timezone,
        eta_from=now + timedelta(days=1),
        eta_to=now + timedelta(days=1, hours=3),
        pickup_point=point,
        latest_event_text="Przesyłka przekazana kurierowi do doręczenia",
        latest_event_location="Kraków",
        latest_event_at=now - timedelta(hours=1),
        items=(("Ceramic mug", 2),),
        placements=placements,
        unsubscribe_url=f"{settings.PUBLIC_BASE_URL}/email/unsubscribe/sample/",
        overrides=overrides or {},
        score_links=tuple((score, "#") for score, _ in score_links_for(order_id=0, scale=shop.feedback_scale))
        if status == "delivered"
        else (),
    )


def in_quiet_hours(*, moment: datetime, start: time | None, end: time | None, timezone: str) -> datetime | None:
    """When ``moment`` falls in the quiet hours (local to ``timezone``), the moment they end; else None."""
    if start is None or end is None or start == end:
        return None
    local = _local(moment, timezone)
    now_time = local.time()
    if start < end:
        quiet = start <= now_time < end
        end_day = local.date()
    else:  # overnight window, e.g. 21:00 to 08:00
        quiet = now_time >= start or now_time < end
        end_day = local.date() + timedelta(days=1) if now_time >= start else local.date()
    if not quiet:
        return None
    ends = datetime.combine(end_day, end, tzinfo=zoneinfo.ZoneInfo(timezone))
    return ends.astimezone(UTC)
