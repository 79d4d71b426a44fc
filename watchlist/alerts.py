"""Telling people about incidents: webhooks (by name, to api), the customer's proactive email, the delay apology.

Webhooks go through ``api.emit_webhook_event`` (api sits above the watchlist), keyed per incident and
transition so a repeat emits nothing new. The customer's email is one ``message_request`` per
incident (exactly once, through notifications) for the types the shop has it on; so is the SMS
(``trigger_sms_request``) when the shop also texts about incidents. The daily digest to the shop lives in
``watchlist.digest``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.celery import publish_on_commit
from config.formats import weekday_day
from notifications.models import MessageChannel
from notifications.outbox import message_request
from notifications.rendering import customer_timezone
from notifications.sms.requests import trigger_sms_request
from shipments.links import order_tracking_url
from shops.languages import language_or_default
from watchlist.explanations import incident_explanation
from watchlist.models import Incident, IncidentType

INCIDENT_TRIGGER = "incident"
CUSTOMER_TEMPLATE = "watchlist_incident"
WEBHOOK_TASK = "api.emit_webhook_event"
APOLOGY_TASK = "campaigns.apologize_for_delay"


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def incident_payload(incident: Incident) -> dict[str, Any]:
    """What webhooks and the API say about an incident."""
    shipment = incident.shipment
    return {
        "id": incident.pk,
        "type": incident.incident_type,
        "state": incident.state,
        "opened_at": _stamp(incident.opened_at),
        "resolved_at": _stamp(incident.resolved_at),
        "resolution_note": incident.resolution_note,
        "deadline_at": _stamp(incident.deadline_at),
        "threshold": {
            "business_days": incident.threshold_days,
            "source": incident.threshold_source,
            "note": incident.threshold_note,
        },
        "shipment": {
            "id": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "status": shipment.status,
            "reason": shipment.reason,
        },
        "order": {"number": shipment.order.number},
    }


def incident_opened_alert(*, incident: Incident, notify_customer: bool) -> None:
    """After commit: the ``incident.opened`` webhook and, when on for its type, the customer's email."""
    publish_on_commit(
        WEBHOOK_TASK,
        shop_id=incident.shop_id,
        event_type="incident.opened",
        data=incident_payload(incident),
        dedupe_key=f"incident:{incident.pk}:opened",
    )
    if notify_customer:
        incident_customer_message(incident=incident)
    if incident.incident_type == IncidentType.DELAYED:
        # The delay-apology campaign (if the shop runs one) hears it from the watchlist, on its own queue.
        publish_on_commit(APOLOGY_TASK, shipment_id=incident.shipment_id)


def incident_resolved_alert(*, incident: Incident) -> None:
    """After commit: the ``incident.resolved`` webhook."""
    publish_on_commit(
        WEBHOOK_TASK,
        shop_id=incident.shop_id,
        event_type="incident.resolved",
        data=incident_payload(incident),
        dedupe_key=f"incident:{incident.pk}:resolved",
    )


def incident_customer_message(*, incident: Incident) -> bool:
    """Ask notifications for the customer's email about ``incident``, once; False when there is nobody to write to."""
    shipment = incident.shipment
    order = shipment.order
    if shipment.direction != "outbound":
        return False
    language = language_or_default(order.effective_locale)
    zone = ZoneInfo(customer_timezone(country=order.shipping_country, shop_timezone=incident.shop.timezone))
    point = shipment.pickup_point if isinstance(shipment.pickup_point, dict) else {}
    collect_by = weekday_day(incident.deadline_at, language=language, zone=zone) if incident.deadline_at else ""
    point_address = ", ".join(part for part in (point.get("address", ""), point.get("city", "")) if part)
    words = incident_explanation(
        incident_type=incident.incident_type,
        language=language,
        collect_by=collect_by,
        point=point.get("name", "") or point_address,
    )
    context = {
        "incident_type": incident.incident_type,
        "customer_name": order.customer_name,
        "order_number": order.number,
        "tracking_number": shipment.tracking_number,
        "tracking_url": order_tracking_url(order),
        "headline": words.headline,
        "body": words.body,
        "pickup_point_address": point_address,
    }
    # The SMS, when the shop texts about incidents (its own rules: number, opt-out, send window).
    texted = trigger_sms_request(
        shop=incident.shop,
        trigger_kind=INCIDENT_TRIGGER,
        trigger_id=incident.pk,
        template=CUSTOMER_TEMPLATE,
        context={"headline": words.headline, "tracking_url": context["tracking_url"]},
        order=order,
        shipment=shipment,
    )
    if not order.customer_email:
        return texted is not None
    message_request(
        shop=incident.shop,
        trigger_kind=INCIDENT_TRIGGER,
        trigger_id=incident.pk,
        channel=MessageChannel.EMAIL,
        recipient=order.customer_email,
        template=CUSTOMER_TEMPLATE,
        language=language,
        order=order,
        shipment=shipment,
        context=context,
    )
    return True
