"""Applying what a carrier said (poll or push) to a shipment: events, status, outbox, next poll.

Status rules, recomputed from ALL stored events of the shipment each time (so repeats and
out-of-order arrivals give the same answer as an in-order stream):

1. Only events with a normalized status count; unmapped or informational events never move the
   status (they are stored, shown verbatim, and unmapped codes are counted in ``UnmappedCode``).
2. Events are read oldest first by ``(occurred_at, arrival)``; the newest one wins, except:
3. ``delivered`` is sticky: once any event says delivered, later forward-leg events (in transit,
   out for delivery, exceptions...) do not bring the parcel back; only a return-leg event may
   follow it.
4. The return leg is its own status: after the first ``returning_to_sender`` event, forward-leg
   events are part of the trip back and keep ``returning_to_sender``; a later ``delivered`` (the
   parcel handed back to the sender) or ``returned_to_sender`` makes it ``returned_to_sender``,
   which is final and sticky.
5. No counting event at all keeps the current status (``pending`` for a new shipment).
6. An ``expired`` shipment stays expired unless new events with a status arrive.

After the events, a shipment past its maximum age is ``expired`` (``shipments.schedule``).

Durability: on PostgreSQL a polled answer commits with ``synchronous_commit = off`` (the WAL flush
waits up to ~0.6 s instead of each commit waiting for its own fsync; this is what lets a worker
apply hundreds of answers a second). A database crash can lose only the last fraction of a second
of polled answers: their claim's lease was committed durably, so they are polled again and the
same events and status change are written then. Anything durable that read such a row (a
consumer's Message for the StatusChange) commits later in the same WAL, so it cannot survive
without it; a consumer handed the id of a lost row finds no row and does nothing. Pushes commit
synchronously, because the carrier will not send them again.
Every status change, and every new non-empty reason within the same status (``from_status ==
to_status``: a customs hold, a delay, an address problem), writes one ``StatusChange`` row in the
same transaction and, on commit,
publishes each task in ``settings.STATUS_CHANGE_TASKS`` by name with ``status_change_id``
(``publish_on_commit``: broker errors are logged and left to the consumers' sweepers; a batch run
shares one broker connection through ``one_producer``). An apply that stored new events or changed
the status also publishes each task in ``settings.SHIPMENT_UPDATED_TASKS`` with ``shipment_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from carriers.types import ErrorKind, Status, TrackingError, TrackingResult
from config import metrics
from config.celery import publish_on_commit
from shipments.lanes import lane_record_delivery
from shipments.models import Shipment, StatusChange, TrackingEvent, UnmappedCode
from shipments.schedule import expiry_due, next_poll_time
from shipments.services import order_touch

logger = logging.getLogger(__name__)

RETURN_LEG = frozenset({Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER})


@dataclass(frozen=True)
class ApplyReport:
    """What applying one outcome did to one shipment."""

    shipment_id: int
    new_events: int = 0
    status_changed: bool = False
    from_status: str = ""
    to_status: str = ""
    status_change_id: int | None = None
    error_kind: str = ""


@dataclass(frozen=True)
class DerivedStatus:
    """The status the stored events add up to, and the event that decided it."""

    status: str
    reason: str
    occurred_at: datetime | None


def status_from_events(events: Sequence[tuple[str, str, datetime]], *, current: str) -> DerivedStatus:
    """Apply the module's rules to ``(status, reason, occurred_at)`` tuples in arrival order."""
    ordered = sorted(
        ((status, reason, at, index) for index, (status, reason, at) in enumerate(events) if status),
        key=lambda item: (item[2], item[3]),
    )
    decided: DerivedStatus | None = None
    for status, reason, at, _ in ordered:
        previous = decided.status if decided is not None else ""
        if previous == Status.RETURNED_TO_SENDER:
            continue
        if previous == Status.RETURNING_TO_SENDER and status not in RETURN_LEG:
            if status == Status.DELIVERED:
                decided = DerivedStatus(Status.RETURNED_TO_SENDER, reason, at)
            continue
        if previous == Status.DELIVERED and status not in RETURN_LEG:
            continue
        decided = DerivedStatus(status, reason, at)
    if decided is None:
        return DerivedStatus(current, "", None)
    return decided


def shipment_apply_result(
    *,
    shipment_id: int,
    outcome: TrackingResult | TrackingError,
    source: str,
    now: datetime | None = None,
) -> ApplyReport:
    """Store a carrier's answer for one shipment in one transaction; safe to repeat.

    A result adds its new events (deduplicated per shipment), recomputes the status by the module's
    rules, refreshes ETA, pickup point, proof of delivery and service, writes a StatusChange when the
    status or its reason moved, and schedules the next poll. An error only records itself and reschedules; stored
    events and status are never lost. ``source`` is ``poll`` or ``push``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if isinstance(outcome, TrackingError):
            report = _apply_error(shipment, outcome, source=source, now=now)
        else:
            report = _apply_result(shipment, outcome, source=source, now=now)
        metrics.status_change_applied(carrier=shipment.carrier, source=source, report=report)
        if report.new_events or report.status_changed:
            # Apps above (the watchlist) look at the changed parcel again, reason-only changes included.
            for task_name in settings.SHIPMENT_UPDATED_TASKS:
                publish_on_commit(task_name, shipment_id=shipment.pk)
        if source == "poll" and connection.vendor == "postgresql":
            # A polled answer need not wait for the WAL flush (see "Durability" in the module doc).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
    return report


def _apply_error(shipment: Shipment, error: TrackingError, *, source: str, now: datetime) -> ApplyReport:
    shipment.last_error = error.message[:2000]
    shipment.last_error_kind = error.kind
    shipment.last_error_at = now
    shipment.poll_errors += 1
    fields = ["last_error", "last_error_kind", "last_error_at", "poll_errors", "updated_at"]
    if source == "poll":
        shipment.last_polled_at = now
        shipment.poll_count += 1
        fields += ["last_polled_at", "poll_count"]
    status_change = None
    if expiry_due(
        status=shipment.status, created_at=shipment.created_at, last_event_at=shipment.last_event_at, now=now
    ):
        status_change = _change_status(shipment, Status.EXPIRED, "", now)
        fields += ["status", "reason", "status_changed_at"]
    shipment.next_poll_at = next_poll_time(
        carrier=shipment.carrier,
        status=shipment.status,
        created_at=shipment.created_at,
        last_event_at=shipment.last_event_at,
        now=now,
        error=error if status_change is None else None,
        errors_in_row=shipment.poll_errors,
    )
    fields.append("next_poll_at")
    shipment.save(update_fields=fields)
    if error.kind not in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED, ErrorKind.NOT_FOUND):
        logger.warning("shipment %s (%s) poll failed: %s", shipment.pk, shipment.carrier, error.message)
    if status_change is not None:
        order_touch(order_id=shipment.order_id)
    return _report(shipment, status_change, new_events=0, from_status="", error_kind=error.kind)


def _apply_result(shipment: Shipment, result: TrackingResult, *, source: str, now: datetime) -> ApplyReport:
    # One read of what is stored serves both deduplication and the status recomputation.
    stored = list(
        TrackingEvent.objects.filter(shipment=shipment)
        .order_by("pk")
        .values_list("dedupe_key", "status", "reason", "occurred_at")
    )
    existing = {key for key, _, _, _ in stored}
    fresh: dict[str, TrackingEvent] = {}
    to_review: list[tuple[str, str]] = []
    for event in result.events:
        key = event.dedupe_key
        if key in existing or key in fresh:
            continue
        if event.review_code:
            to_review.append((event.review_code, event.text))
        fresh[key] = TrackingEvent(
            shipment=shipment,
            occurred_at=event.occurred_at,
            status=event.status.value if event.status is not None else "",
            reason=str(event.reason or ""),
            raw_code=event.raw_code[:120],
            text=event.text,
            location=event.location[:255],
            source=source,
            mapped=event.mapped,
            dedupe_key=key,
        )
    if fresh:
        TrackingEvent.objects.bulk_create(fresh.values(), ignore_conflicts=True)
        _count_unmapped(shipment, to_review, now)

    before = _visible(shipment)
    # Stored events in arrival order, then the new ones in the order they were inserted.
    timeline = [(status, reason, at) for _, status, reason, at in stored]
    timeline += [(event.status, event.reason, event.occurred_at) for event in fresh.values()]
    derived = status_from_events(timeline, current=shipment.status)
    if shipment.status == Status.EXPIRED and not any(event.status for event in fresh.values()):
        # Only news from the carrier revives an expired parcel; a repeated push or poll does not.
        derived = DerivedStatus(shipment.status, shipment.reason, None)
    from_status = shipment.status
    status_change = None
    if timeline:
        shipment.last_event_at = max(at for _, _, at in timeline)
    if derived.status != shipment.status:
        status_change = _change_status(shipment, derived.status, derived.reason, derived.occurred_at or now)
    elif derived.occurred_at is not None and derived.reason and derived.reason != shipment.reason:
        # A new reason in the same status (customs hold, delay, address problem) is a transition too.
        status_change = _change_reason(shipment, derived.reason, derived.occurred_at)
    elif derived.occurred_at is not None:
        shipment.reason = derived.reason

    if result.eta_from is not None or result.eta_to is not None:
        shipment.eta_from, shipment.eta_to = result.eta_from, result.eta_to
        if shipment.first_eta_from is None and shipment.first_eta_to is None:
            shipment.first_eta_from, shipment.first_eta_to = result.eta_from, result.eta_to
    if result.pickup_point is not None:
        shipment.pickup_point = _jsonable(asdict(result.pickup_point))
    if result.proof_of_delivery is not None:
        shipment.proof_of_delivery = _jsonable(asdict(result.proof_of_delivery))
    if result.service:
        shipment.service = result.service[:120]
    if shipment.status == Status.DELIVERED:
        shipment.delivered_at = derived.occurred_at or shipment.delivered_at
        shipment.eta_from = shipment.eta_to = None
    if shipment.status != Status.DELIVERED and from_status == Status.DELIVERED:
        shipment.delivered_at = None

    if status_change is None and expiry_due(
        status=shipment.status, created_at=shipment.created_at, last_event_at=shipment.last_event_at, now=now
    ):
        from_status = shipment.status
        status_change = _change_status(shipment, Status.EXPIRED, "", now)

    if source == "poll":
        shipment.last_polled_at = now
        shipment.poll_count += 1
    shipment.last_error, shipment.last_error_kind, shipment.last_error_at, shipment.poll_errors = "", "", None, 0
    shipment.next_poll_at = next_poll_time(
        carrier=shipment.carrier,
        status=shipment.status,
        created_at=shipment.created_at,
        last_event_at=shipment.last_event_at,
        now=now,
    )
    shipment.save()
    if status_change is not None and shipment.status == Status.DELIVERED:
        lane_record_delivery(shipment=shipment)
    if fresh or _visible(shipment) != before:
        order_touch(order_id=shipment.order_id)
    return _report(shipment, status_change, new_events=len(fresh), from_status=from_status)


def _change_status(shipment: Shipment, status: str, reason: str, occurred_at: datetime) -> StatusChange:
    status_change = StatusChange.objects.create(
        shipment=shipment, from_status=shipment.status, to_status=status, reason=reason, occurred_at=occurred_at
    )
    shipment.status, shipment.reason, shipment.status_changed_at = status, reason, occurred_at
    # Each consumer is idempotent and sweeps unprocessed rows, so a lost publish is late, never lost.
    for task_name in settings.STATUS_CHANGE_TASKS:
        publish_on_commit(task_name, status_change_id=status_change.pk)
    return status_change


def _change_reason(shipment: Shipment, reason: str, occurred_at: datetime) -> StatusChange:
    # from_status == to_status marks it reason-only; status_changed_at keeps the status's own moment.
    status_change = StatusChange.objects.create(
        shipment=shipment, from_status=shipment.status, to_status=shipment.status, reason=reason, occurred_at=occurred_at
    )
    shipment.reason = reason
    for task_name in settings.STATUS_CHANGE_TASKS:
        publish_on_commit(task_name, status_change_id=status_change.pk)
    return status_change


def _count_unmapped(shipment: Shipment, to_review: Sequence[tuple[str, str]], now: datetime) -> None:
    # Unmapped codes and unrecognized wordings alike (``carriers.types.TrackingEvent.review_code``).
    for review_code, text in to_review:
        logger.warning("unmapped %s code %r stored for shipment %s", shipment.carrier, review_code, shipment.pk)
        code, created = UnmappedCode.objects.get_or_create(
            carrier=shipment.carrier,
            raw_code=review_code[:120],
            defaults={"example_text": text[:2000], "count": 1, "first_seen": now, "last_seen": now},
        )
        if not created:
            UnmappedCode.objects.filter(pk=code.pk).update(count=F("count") + 1, last_seen=now)


def _visible(shipment: Shipment) -> tuple:
    # What the tracking page shows of a shipment; a difference bumps the order's version.
    return (
        shipment.status,
        shipment.reason,
        shipment.eta_from,
        shipment.eta_to,
        shipment.pickup_point,
        shipment.proof_of_delivery,
        shipment.service,
        shipment.delivered_at,
    )


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _report(
    shipment: Shipment, status_change: StatusChange | None, *, new_events: int, from_status: str, error_kind: str = ""
) -> ApplyReport:
    return ApplyReport(
        shipment_id=shipment.pk,
        new_events=new_events,
        status_changed=status_change is not None,
        from_status=status_change.from_status if status_change is not None else from_status,
        to_status=shipment.status,
        status_change_id=status_change.pk if status_change is not None else None,
        error_kind=error_kind,
    )
