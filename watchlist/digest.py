"""The daily digest of open incidents to a shop's support address: one message a day, through notifications.

The digest is a ``Message`` like any other (``notifications.outbox.message_request``): branded, in the
shop's language, rendered from ``emails/watchlist_digest.*``, and sent at most once — its trigger is the
shop's ``DigestSent`` row of that day, unique per (shop, day).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from config.formats import full_date
from notifications.models import MessageChannel
from notifications.outbox import message_request
from notifications.selectors import messages_unresolved_for
from shops.languages import language_or_default
from shops.models import Shop
from watchlist.models import DigestSent, Incident, IncidentState, IncidentType

DIGEST_TRIGGER = "incident_digest"
DIGEST_TEMPLATE = "watchlist_digest"
# A digest lists this many incidents at most (the admin's watchlist has them all).
DIGEST_MAX_ROWS = 200


def incident_type_name(incident_type: str, *, language: str) -> str:
    """The name of an incident type as the shop's team reads it, in ``language``."""
    with translation.override(language):
        names = {
            IncidentType.INVALID_TRACKING: gettext("Invalid tracking number"),
            IncidentType.LATE_DISPATCH: gettext("Late dispatch"),
            IncidentType.FORGOTTEN: gettext("Label created, never picked up"),
            IncidentType.STALLED: gettext("Stalled in transit"),
            IncidentType.DELAYED: gettext("Delayed"),
            IncidentType.FAILED_ATTEMPT: gettext("Failed attempt not followed up"),
            IncidentType.PICKUP_DEADLINE: gettext("Pickup deadline near or expired"),
            IncidentType.EXCEPTION: gettext("Exception unresolved"),
            IncidentType.LOST: gettext("Lost"),
        }
        return names.get(incident_type, incident_type)


def incident_digest_send(*, shop: Shop, day: date) -> int | None:
    """Ask notifications for ``shop``'s digest of open incidents and unresolved emails on ``day``, once.

    The number of things listed, or None when nothing was asked (nothing to tell, no address, asked already).
    """
    if not shop.support_email:
        return None
    incidents = list(
        Incident.objects.filter(shop=shop, state=IncidentState.OPEN)
        .select_related("shipment", "shipment__order")
        .order_by("incident_type", "opened_at", "pk")
    )
    unknown_count, unknown_messages = messages_unresolved_for(shop=shop)
    if not incidents and not unknown_count:
        return None
    language = language_or_default(shop.locale)
    zone = ZoneInfo(shop.timezone)
    with transaction.atomic():
        try:
            with transaction.atomic():
                digest = DigestSent.objects.create(shop=shop, day=day, incident_count=len(incidents))
        except IntegrityError:
            return None  # asked for already today
        message_request(
            shop=shop,
            trigger_kind=DIGEST_TRIGGER,
            trigger_id=digest.pk,
            channel=MessageChannel.EMAIL,
            recipient=shop.support_email,
            template=DIGEST_TEMPLATE,
            language=language,
            order=None,
            context={
                "day": full_date(day, language=language),
                "incident_count": len(incidents),
                "incidents": [
                    {
                        "type": incident_type_name(incident.incident_type, language=language),
                        "order_number": incident.shipment.order.number,
                        "carrier": incident.shipment.carrier,
                        "tracking_number": incident.shipment.tracking_number,
                        "opened": full_date(incident.opened_at, language=language, zone=zone),
                    }
                    for incident in incidents[:DIGEST_MAX_ROWS]
                ],
                "more": max(len(incidents) - DIGEST_MAX_ROWS, 0),
                # Emails whose sending may or may not have happened, still waiting for a person's decision; no
                # recipient address here: the digest names the order, the admin shows the rest.
                "unknown_count": unknown_count,
                "unknown_messages": [
                    {
                        "order_number": message.order.number if message.order else "-",
                        "what": message.to_status or message.template or message.trigger_kind,
                        "channel": message.channel,
                        "since": full_date(message.unknown_since or message.updated_at, language=language, zone=zone),
                    }
                    for message in unknown_messages
                ],
                "unknown_more": max(unknown_count - len(unknown_messages), 0),
            },
        )
    return len(incidents) + unknown_count
