"""What an SMS says: a short branded text per status in the customer's language, with the tracking link.

Files: ``templates/sms/<status>.txt`` (gettext, five languages). A shop may write its own text per
status and language (``SmsTemplate``), rendered in the bounded sandbox of :mod:`config.sandbox` with
exactly :data:`SMS_VARIABLES`. Every SMS ends with the link to the customer's preferences page (where
SMS stop). With the shop's transliteration on, the text is brought to GSM-7 (160 characters per SMS).
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext
from jinja2 import TemplateError

from carriers.pickup import pickup_collect_by
from config import formats
from config.sandbox import sandbox_render
from notifications.models import Message
from notifications.rendering import customer_timezone, eta_text, text_environment
from notifications.sms.gsm import gsm_punctuation, gsm_transliterate
from notifications.sms.preferences import preferences_url_for
from notifications.sms.selectors import sms_settings_for, sms_template_body_for
from shipments.links import order_page_url
from shops.languages import language_or_default
from shops.models import Shop

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsFacts:
    """Everything an SMS can say, read from the database (or made up for previews)."""

    shop: Shop
    language: str
    status: str
    order_number: str
    order_token: str
    customer_name: str
    timezone: str
    preferences_url: str
    eta_from: datetime | None = None
    eta_to: datetime | None = None
    pickup_point: dict[str, Any] | None = None
    collect_by: date | None = None


def sms_values(facts: SmsFacts) -> dict[str, str]:
    """The values of :data:`SMS_VARIABLES` for one SMS (all strings)."""
    point = facts.pickup_point or {}
    town = " ".join(part for part in (point.get("postcode", ""), point.get("city", "")) if part)
    return {
        "shop_name": facts.shop.name,
        "order_number": facts.order_number,
        "customer_name": facts.customer_name,
        "tracking_url": order_page_url(token=facts.order_token),
        "eta": eta_text(eta_from=facts.eta_from, eta_to=facts.eta_to, timezone=facts.timezone, language=facts.language)
        if facts.status == "out_for_delivery"
        else "",
        "pickup_point_name": str(point.get("name", "")),
        "pickup_point_address": ", ".join(part for part in (str(point.get("address", "")), town) if part),
        "collect_by": formats.day_month(facts.collect_by, language=facts.language) if facts.collect_by else "",
    }


def sms_render(
    facts: SmsFacts,
    *,
    override: str = "",
    transliterate: bool = False,
    template: str = "",
    context: dict[str, Any] | None = None,
) -> str:
    """The text of one SMS: the shop's own text or the file's, then the preferences link; GSM-7 when asked.

    ``template`` names ``sms/<template>.txt`` of another app's trigger, rendered with its ``context``.
    """
    language = language_or_default(facts.language)
    values = sms_values(facts)
    names = [f"sms/{template}.txt"] if template else [f"sms/{facts.status}.txt", "sms/status.txt"]
    body = ""
    with translation.override(language):
        if override:
            try:
                body = sandbox_render(override, values)
            except TemplateError:
                # Validated on save: only a changed variable set or a sandbox limit gets here.
                logger.exception("shop SMS template failed; using the file template")
        if not body.strip():
            body = text_environment().select_template(names).render({**(context or {}), **values})
        footer = gettext("Settings and STOP: %(url)s") % {"url": facts.preferences_url}
    text = gsm_punctuation(f"{' '.join(body.split())} {footer}")
    return gsm_transliterate(text) if transliterate else text


def message_sms_facts(message: Message) -> SmsFacts:
    """The facts of a status-change SMS, read from its parcel and order."""
    shipment = message.shipment
    order = message.order
    zone = customer_timezone(country=order.shipping_country, shop_timezone=message.shop.timezone)
    collect_by = None
    if message.to_status == "available_for_pickup" and shipment is not None:
        since = message.status_change.occurred_at if message.status_change else message.created_at
        collect_by = pickup_collect_by(
            carrier=shipment.carrier, available_on=since.astimezone(zoneinfo.ZoneInfo(zone)).date()
        )
    return SmsFacts(
        shop=message.shop,
        language=message.language,
        status=message.to_status,
        order_number=order.number,
        order_token=order.public_token,
        customer_name=order.customer_name,
        timezone=zone,
        preferences_url=preferences_url_for(order=order),
        eta_from=shipment.eta_from if shipment else None,
        eta_to=shipment.eta_to if shipment else None,
        pickup_point=shipment.pickup_point if shipment and message.to_status == "available_for_pickup" else None,
        collect_by=collect_by,
    )


def message_sms_text(message: Message) -> str:
    """The text of an SMS message: the shop's own text for its status, or the file; transliterated when chosen."""
    conf = sms_settings_for(shop=message.shop)
    if not message.is_status_change:
        return sms_render(
            message_sms_facts(message),
            transliterate=conf.transliterate,
            template=message.template,
            context=message.context,
        )
    override = sms_template_body_for(shop=message.shop, status=message.to_status, language=message.language)
    return sms_render(message_sms_facts(message), override=override, transliterate=conf.transliterate)


def sample_sms_facts(*, shop: Shop, status: str, language: str) -> SmsFacts:
    """Made-up but realistic facts for previews and test SMS: never touches customer data."""
    now = datetime.now(tz=UTC)
    point = None
    if status == "available_for_pickup":
        point = {"name": "Paczkomat KRA01M", "address": "ul. Floriańska 1", "postcode": "31-019", "city": "Kraków"}
    return SmsFacts(
        shop=shop,
        language=language,
        status=status,
        order_number="1001",
        order_token="sample-order-token",  # noqa: S106 - a made-up page token for previews
        customer_name="Anna Kowalska",
        timezone=shop.timezone,
        preferences_url=preferences_url_for(order=None),
        eta_from=now + timedelta(hours=2),
        eta_to=now + timedelta(hours=5),
        pickup_point=point,
        collect_by=(now + timedelta(days=2)).date() if point else None,
    )
