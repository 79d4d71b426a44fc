"""Issuing a return's code: InPost's Returns API (in a retried task), Packeta's fixed shop code, or none.

When a code comes with a tracking number, the return parcel becomes a ``Shipment`` with direction
``return``, so dispatch polls it like any other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carriers.inpost_returns import (
    InPostReturnsClient,
    InPostReturnsRejected,
    InPostReturnsUnavailable,
    ReturnTicket,
    TicketRequest,
)
from config.celery import publish_on_commit
from returns.dropoff import dropoff_points_for
from returns.lifecycle import TransitionError, return_transition
from returns.models import ReturnMethod, ReturnRequest, ReturnState
from returns.rules import return_settings_for
from shipments.models import Direction
from shipments.services import shipment_add

ISSUE_TASK = "returns.issue_code"


def inpost_returns_client(*, transport: httpx.BaseTransport | None = None) -> InPostReturnsClient:
    """The Returns API client from the deployment's ``CARRIER_INPOST_RETURNS_*`` settings."""
    env = settings.CARRIER_ENV
    return InPostReturnsClient(
        base_url=env.get("CARRIER_INPOST_RETURNS_BASE_URL", "https://api-returns.inpost.pl"),
        client_id=env.get("CARRIER_INPOST_RETURNS_CLIENT_ID", ""),
        client_secret=env.get("CARRIER_INPOST_RETURNS_CLIENT_SECRET", ""),
        client=httpx.Client(transport=transport),
        timeout=settings.CARRIER_HTTP_TIMEOUT,
    )


def return_code_issue(
    *,
    return_request_id: int,
    client: InPostReturnsClient | None = None,
    points_client: httpx.Client | None = None,
    points_base_url: str | None = None,
    now: datetime | None = None,
) -> ReturnRequest | None:
    """Ask InPost for the return's code (outside any transaction), store it and move the return on.

    Idempotent: a return that is no longer approved (issued already, rejected) is left alone.
    ``InPostReturnsUnavailable`` is recorded and re-raised for the task to retry; a refusal is recorded
    for the shop to see and not retried.
    """
    return_request = ReturnRequest.objects.select_related("order").filter(pk=return_request_id).first()
    if return_request is None or return_request.state != ReturnState.APPROVED:
        return None
    order = return_request.order
    client = client or inpost_returns_client()
    try:
        ticket = client.ticket_create(
            TicketRequest(
                reference=f"{order.number}/R{return_request.pk}",
                email=order.customer_email,
                phone=order.customer_phone,
            )
        )
    except (InPostReturnsUnavailable, InPostReturnsRejected) as error:
        ReturnRequest.objects.filter(pk=return_request.pk).update(
            issue_attempts=return_request.issue_attempts + 1, issue_error=str(error)[:500]
        )
        raise
    # Outside the transaction too: the points API is a network call (cached, never failing the issue).
    points = dropoff_points_for(
        order=order, method=return_request.method, client=points_client, base_url=points_base_url
    )
    return _code_store(return_request=return_request, ticket=ticket, points=points, now=now or timezone.now())


def _code_store(
    *, return_request: ReturnRequest, ticket: ReturnTicket, points: list[dict], now: datetime
) -> ReturnRequest:
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().select_related("order").get(pk=return_request.pk)
        if locked.state != ReturnState.APPROVED:
            return locked
        shipment = None
        if ticket.tracking_number:
            shipment = shipment_add(
                order=locked.order, tracking_number=ticket.tracking_number, carrier="inpost", direction=Direction.RETURN
            )
        locked.return_code = ticket.return_code
        locked.label_url = ticket.label_url
        locked.return_tracking_number = ticket.tracking_number
        locked.code_expires_at = ticket.expires_at
        locked.return_shipment = shipment
        locked.dropoff_points = points
        locked.issue_attempts += 1
        locked.issue_error = ""
        locked.save()
        return return_transition(
            return_request=locked, to_state=ReturnState.LABEL_ISSUED, note=f"InPost ticket {ticket.ticket_id}", now=now
        )


def return_code_issue_local(*, return_request: ReturnRequest, now: datetime) -> ReturnRequest:
    """Issue a code the shop owns (Packeta's fixed return code): no carrier call, no parcel number yet."""
    if return_request.method != ReturnMethod.PACKETA_CODE:
        return return_request
    code = return_settings_for(shop_id=return_request.shop_id).packeta_return_code
    ReturnRequest.objects.filter(pk=return_request.pk).update(return_code=code)
    return_request.return_code = code
    return return_transition(return_request=return_request, to_state=ReturnState.LABEL_ISSUED, now=now)


# A code task not even attempted by now was lost on the way to the broker (a running one retries by itself).
LOST_ISSUE_AFTER = timedelta(minutes=30)


def return_codes_republish_lost(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Publish again the code tasks of InPost returns approved long ago and never attempted; their ids."""
    now = now or timezone.now()
    lost = list(
        ReturnRequest.objects.filter(
            state=ReturnState.APPROVED,
            method=ReturnMethod.INPOST_CODE,
            issue_attempts=0,
            state_changed_at__lt=now - LOST_ISSUE_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for return_request_id in lost:
        publish_on_commit(ISSUE_TASK, return_request_id=return_request_id)
    return lost


def return_parcels_sync(*, limit: int = 500) -> int:
    """Move issued returns whose parcel the carrier has picked up to in transit; how many moved."""
    moving = (
        ReturnRequest.objects.filter(state=ReturnState.LABEL_ISSUED, return_shipment__isnull=False)
        .exclude(return_shipment__status__in=["pending", "info_received", "cancelled", "expired"])
        .order_by("pk")[:limit]
    )
    moved = 0
    for return_request in moving:
        return_transition(return_request=return_request, to_state=ReturnState.IN_TRANSIT)
        moved += 1
    return moved


def return_code_retry(*, return_request: ReturnRequest) -> None:
    """Ask the carrier again for the code of an approved return whose issue failed (the shop's retry button)."""
    if return_request.state != ReturnState.APPROVED or return_request.method != ReturnMethod.INPOST_CODE:
        raise TransitionError(f"A return that is {return_request.state} has no carrier code to ask for again.")
    publish_on_commit(ISSUE_TASK, return_request_id=return_request.pk)
