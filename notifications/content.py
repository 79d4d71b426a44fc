"""What one message says: the facts of a status-change email (with campaigns' blocks), or another trigger's template.

A status-change message renders the status trio (``emails/<status>.*`` or ``emails/status.*``) from the
parcel's facts; a message of any other trigger kind renders ``emails/<template>.*`` with the context
the asking app stored on it, so notifications never needs to know that app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from campaigns.placements import CampaignMessage, Placements, campaign_message, email_placements
from notifications.models import Message
from notifications.prefetch import RenderLookups
from notifications.rendering import (
    EmailFacts,
    RenderedEmail,
    absolute_url,
    brand_colours,
    css_inliner,
    customer_timezone,
    email_render,
    project_environment,
    score_links_for,
    text_environment,
)
from notifications.returns_link import return_link_for
from notifications.unsubscribe import unsubscribe_url_for
from shops.languages import language_or_default
from shops.models import Shop

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageContent:
    """A message rendered for sending, with its unsubscribe link and why marketing blocks were (not) added."""

    rendered: RenderedEmail
    unsubscribe_url: str
    marketing_notes: tuple[str, ...] = ()


def message_content(message: Message, lookups: RenderLookups | None = None) -> MessageContent | None:
    """Render ``message``; None when its campaign (or the campaign's content in its language) is gone.

    ``lookups`` is what a sending batch read for all its messages at once; without it they are read for this one.
    """
    lookups = lookups or RenderLookups.load([message])
    unsubscribe_url = unsubscribe_url_for(message_id=message.pk)
    if not message.is_status_change:
        rendered = template_email_render(
            shop=message.shop,
            template=message.template,
            language=message.language,
            context=message.context,
            unsubscribe_url=unsubscribe_url,
            preferences_url=lookups.preferences_url(message),
        )
        return MessageContent(rendered=rendered, unsubscribe_url=unsubscribe_url)
    placements = _placements_for(message, lookups)
    campaign = _campaign_message_for(message)
    if not message.is_transactional and campaign is None:
        return None
    facts = message_facts(message, placements, campaign, unsubscribe_url=unsubscribe_url, lookups=lookups)
    notes = placements.notes if placements else ()
    return MessageContent(rendered=email_render(facts), unsubscribe_url=unsubscribe_url, marketing_notes=notes)


def template_email_render(
    *,
    shop: Shop,
    template: str,
    language: str,
    context: dict[str, Any],
    unsubscribe_url: str,
    preferences_url: str = "",
) -> RenderedEmail:
    """Render the trio ``emails/<template>.*`` with the asking app's context and the shop's branding."""
    language = language_or_default(language)
    full_context = {
        **context,
        "shop": shop,
        "brand": brand_colours(shop),
        "language": language,
        "absolute": absolute_url,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "support_email": shop.support_email,
        "footer_text": shop.footer_text,
        "website_url": shop.website_url,
    }
    with translation.override(language):
        subject = text_environment().get_template(f"emails/{template}.subject.txt").render(full_context)
        text = text_environment().get_template(f"emails/{template}.txt").render(full_context)
        html = project_environment().get_template(f"emails/{template}.html").render(full_context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=css_inliner().inline(html))


def message_facts(
    message: Message,
    placements: Placements | None,
    campaign: CampaignMessage | None = None,
    *,
    unsubscribe_url: str | None = None,
    lookups: RenderLookups | None = None,
) -> EmailFacts:
    """Everything a status-change email shows, read from the message's parcel and order."""
    lookups = lookups or RenderLookups.load([message])
    shipment = message.shipment
    order = message.order
    latest = lookups.latest_event(message)
    eta_from, eta_to = lookups.window(message)
    overrides = lookups.overrides_for(message) if message.is_transactional else {}
    return EmailFacts(
        shop=message.shop,
        language=message.language,
        status=message.to_status,
        reason=message.status_change.reason,
        customer_name=order.customer_name,
        order_number=order.number,
        order_token=order.public_token,
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        timezone=customer_timezone(country=order.shipping_country, shop_timezone=message.shop.timezone),
        eta_from=eta_from,
        eta_to=eta_to,
        pickup_point=shipment.pickup_point if message.to_status == "available_for_pickup" else None,
        latest_event_text=latest.text if latest else "",
        latest_event_location=latest.location if latest else "",
        latest_event_at=latest.occurred_at if latest else None,
        items=tuple((item.name, item.quantity) for item in order.items.all()),
        placements=placements,
        unsubscribe_url=unsubscribe_url if unsubscribe_url is not None else unsubscribe_url_for(message_id=message.pk),
        overrides=overrides,
        campaign=campaign,
        returns_portal_url=return_link_for(order=order, status=message.to_status) if message.is_transactional else "",
        preferences_url=lookups.preferences_url(message),
        # Asking for the score is a service, not marketing: on the delivered transactional email, with or without consent.
        score_links=score_links_for(order_id=order.pk, scale=message.shop.feedback_scale)
        if placements is not None and placements.feedback_prompt
        else (),
    )


def _placements_for(message: Message, lookups: RenderLookups) -> Placements | None:
    try:
        placements = email_placements(
            status_change=message.status_change,
            campaign_id=message.campaign_id,
            language=message.language,
            order=message.order,
            catalog=lookups.catalog_for(message),
        )
    except Exception:
        if not message.is_transactional:
            raise
        # The transactional email always goes, with or without its marketing blocks.
        logger.exception("placements failed for message %s; sending without marketing blocks", message.pk)
        return Placements(notes=("placements failed",))
    # Campaigns already applied each campaign's consent rule (the delay apology is a service message).
    if message.order.email_marketing_consent or not message.is_transactional:
        return placements
    # Without consent no marketing block, whatever campaigns returned; asking for feedback is not marketing.
    return Placements(feedback_prompt=placements.feedback_prompt, notes=placements.notes)


def _campaign_message_for(message: Message) -> CampaignMessage | None:
    if message.is_transactional:
        return None
    return campaign_message(
        status_change=message.status_change,
        campaign_id=message.campaign_id,
        language=message.language,
        message_id=message.pk,
    )
