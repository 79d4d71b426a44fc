"""Reads of the watchlist: a shop's incidents with filters, and the open incident a customer should hear about."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from shops.models import Shop
from watchlist.models import Incident, IncidentState, IncidentType

# What the tracking page explains first when a parcel has several open incidents: what the customer can act on.
CUSTOMER_PRIORITY = (
    IncidentType.PICKUP_DEADLINE,
    IncidentType.FAILED_ATTEMPT,
    IncidentType.EXCEPTION,
    IncidentType.LOST,
    IncidentType.DELAYED,
    IncidentType.STALLED,
)


def incidents_of_shop(
    *,
    shop: Shop,
    state: str | None = None,
    incident_type: str | None = None,
    carrier: str | None = None,
    since: datetime | None = None,
) -> QuerySet[Incident]:
    """``shop``'s incidents, newest first; ``since`` keeps those opened or resolved at or after it."""
    incidents = Incident.objects.filter(shop=shop).select_related("shipment", "shipment__order")
    if state:
        incidents = incidents.filter(state=state)
    if incident_type:
        incidents = incidents.filter(incident_type=incident_type)
    if carrier:
        incidents = incidents.filter(shipment__carrier=carrier)
    if since is not None:
        incidents = incidents.filter(Q(opened_at__gte=since) | Q(resolved_at__gte=since))
    return incidents.order_by("-opened_at", "-pk")


def incident_of_shop(*, shop: Shop, incident_id: int) -> Incident | None:
    """One of ``shop``'s incidents, or None (another shop's is None too)."""
    return incidents_of_shop(shop=shop).filter(pk=incident_id).first()


def customer_incidents_for(*, shipment_ids: list[int]) -> dict[int, Incident]:
    """Per shipment, the open incident its customer should have explained (by ``CUSTOMER_PRIORITY``)."""
    chosen: dict[int, Incident] = {}
    rank = {incident_type: index for index, incident_type in enumerate(CUSTOMER_PRIORITY)}
    incidents = Incident.objects.filter(
        shipment_id__in=shipment_ids, state=IncidentState.OPEN, incident_type__in=CUSTOMER_PRIORITY
    )
    for incident in incidents:
        current = chosen.get(incident.shipment_id)
        if current is None or rank[incident.incident_type] < rank[current.incident_type]:
            chosen[incident.shipment_id] = incident
    return chosen
