"""Applying what a carrier said (poll or push) to a shipment: events, status, outbox, next poll.

Status rules: ``shipments.status_rules`` (recomputed from ALL stored events of the shipment each time,
so repeats and out-of-order arrivals give the same answer as an in-order stream).
After the events, a shipment past its maximum age is ``expired`` (``shipments.schedule``).

Durability: on PostgreSQL a polled answer commits with ``synchronous_commit = off`` (the WAL flush
waits up to ~0.6 s instead of each commit waiting for its own fsync; this is what lets a worker
apply hundreds of answers a second). A database crash can lose only the last fraction of a second
of polled answers: their claim's lease was committed durably, so they are polled again and the
same events and status change are written then. Anything durable that read such a row (a
consumer's Message for the StatusChange) commits later in the same WAL, so it cannot survive
without it; a consumer handed the id of a lost row finds no row and does nothing. Pushes commit
synchronously, because the carrier will not send them again.
A poll batch applies its answers in one transaction (``shipments_apply_results``): the batch's rows
locked and their stored events read in one query each, a savepoint per shipment so that one which fails
is rolled back alone, the touched orders bumped in one statement. A shipment's own writes (new events, the
status change, the changed columns) are plain SQL statements from ``shipments.apply_sql``.
Every status change, and every new non-empty reason within the same status (``from_status ==
to_status``: a customs hold, a delay, an address problem), writes one ``StatusChange`` row in the
same transaction and, on commit,
publishes each task in ``settings.STATUS_CHANGE_TASKS`` by name with ``status_change_id``
(``publish_on_commit``: broker errors are logged and left to the consumers' sweepers; a batch run
shares one broker connection through ``one_producer``). An apply that stored new events or changed
the status also publishes each task in ``settings.SHIPMENT_UPDATED_TASKS`` with ``shipment_id``.
A poll batch publishes the ``*_BATCH_TASKS`` instead, once per batch with the lists of ids: three
publishes per changed parcel were half of a poll's CPU.
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
from shipments.apply_sql import (
    EventRow,
    shipment_columns_update,
    status_change_insert,
    tracking_events_insert,
)
from shipments.lanes import lane_record_delivery
from shipments.models import Order, Shipment, TrackingEvent, UnmappedCode
from shipments.schedule import expiry_due, next_poll_time
from shipments.services import order_touch
from shipments.status_rules import DerivedStatus, status_from_events

logger = logging.getLogger(__name__)


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
        _commit_lazily_if_polled(source)
        report, touched = _apply_one(
            shipment, outcome, stored=_stored_events([shipment_id])[shipment_id], source=source, now=now
        )
        if touched:
            order_touch(order_id=shipment.order_id)
        _publish_after_commit([report], batch=False)
    return report


def shipments_apply_results(
    *,
    outcomes: Sequence[tuple[int, TrackingResult | TrackingError]],
    source: str,
    now: datetime | None = None,
) -> list[ApplyReport]:
    """Apply a batch of answers as :func:`shipment_apply_result` would, in one transaction, each shipment atomic.

    The batch's shipments are locked and their stored events read in one query each; every shipment
    is applied inside its own savepoint, so one that fails (bad data, a constraint) is rolled back alone,
    logged and reported with ``error_kind="apply_failed"`` (its claim's lease makes it due again) while
    the others commit. The orders whose page changed are touched in one statement at the end, and each
    consumer gets one task for the batch (``settings.STATUS_CHANGE_BATCH_TASKS`` with
    ``status_change_ids``, ``settings.SHIPMENT_UPDATED_BATCH_TASKS`` with ``shipment_ids``).
    A shipment that no longer exists is reported with ``error_kind="missing"``.
    """
    now = now or timezone.now()
    ids = sorted({shipment_id for shipment_id, _ in outcomes})
    reports: list[ApplyReport] = []
    with transaction.atomic():
        _commit_lazily_if_polled(source)
        # Locked in id order, as every batch does, so two batches never wait on each other in a cycle.
        shipments = {
            shipment.pk: shipment for shipment in Shipment.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        stored = _stored_events(ids)
        touched_orders: set[int] = set()
        for shipment_id, outcome in outcomes:
            shipment = shipments.get(shipment_id)
            if shipment is None:
                reports.append(ApplyReport(shipment_id=shipment_id, error_kind="missing"))
                continue
            snapshot = list(stored[shipment_id])
            try:
                with transaction.atomic():
                    report, touched = _apply_one(shipment, outcome, stored=stored[shipment_id], source=source, now=now)
            except Exception:
                logger.exception("shipment %s: applying the %s answer failed; rolled back alone", shipment_id, source)
                # What is in memory is no longer what is stored: read it again for a later outcome of the batch.
                stored[shipment_id] = snapshot
                shipments[shipment_id] = Shipment.objects.get(pk=shipment_id)
                reports.append(ApplyReport(shipment_id=shipment_id, error_kind="apply_failed"))
                continue
            reports.append(report)
            if touched:
                touched_orders.add(shipment.order_id)
        if touched_orders:
            Order.objects.filter(pk__in=sorted(touched_orders)).update(version=F("version") + 1, updated_at=now)
        _publish_after_commit(reports, batch=True)
    return reports


def _commit_lazily_if_polled(source: str) -> None:
    if source == "poll" and connection.vendor == "postgresql":
        # A polled answer need not wait for the WAL flush (see "Durability" in the module doc).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


StoredEvent = tuple[str, str, str, datetime]  # (dedupe key, status, reason, occurred_at)


def _stored_events(shipment_ids: Sequence[int]) -> dict[int, list[StoredEvent]]:
    """The stored events of the shipments in arrival order, in one query: deduplication and status both read them."""
    stored: dict[int, list[StoredEvent]] = {shipment_id: [] for shipment_id in shipment_ids}
    rows = (
        TrackingEvent.objects.filter(shipment_id__in=list(shipment_ids))
        .order_by("pk")
        .values_list("shipment_id", "dedupe_key", "status", "reason", "occurred_at")
    )
    for shipment_id, key, status, reason, occurred_at in rows:
        stored[shipment_id].append((key, status, reason, occurred_at))
    return stored


def _apply_one(
    shipment: Shipment,
    outcome: TrackingResult | TrackingError,
    *,
    stored: list[StoredEvent],
    source: str,
    now: datetime,
) -> tuple[ApplyReport, bool]:
    """Apply one outcome to a locked shipment; the report, and whether the order's page changed."""
    if isinstance(outcome, TrackingError):
        report, touched = _apply_error(shipment, outcome, source=source, now=now)
    else:
        report, touched = _apply_result(shipment, outcome, stored=stored, source=source, now=now)
    metrics.status_change_applied(carrier=shipment.carrier, source=source, report=report)
    return report, touched


def _publish_after_commit(reports: Sequence[ApplyReport], *, batch: bool) -> None:
    """The consumers of status changes (notifications, webhooks) and of updated parcels (the watchlist), by name.

    Each consumer is idempotent and sweeps what it missed, so a lost publish is late, never lost. One
    apply publishes a task per id; a batch publishes one task per consumer with all its ids.
    """
    changes = [report.status_change_id for report in reports if report.status_change_id is not None]
    updated = [report.shipment_id for report in reports if report.new_events or report.status_changed]
    if batch:
        for task_name in settings.STATUS_CHANGE_BATCH_TASKS if changes else ():
            publish_on_commit(task_name, status_change_ids=changes)
        for task_name in settings.SHIPMENT_UPDATED_BATCH_TASKS if updated else ():
            publish_on_commit(task_name, shipment_ids=updated)
        return
    for status_change_id in changes:
        for task_name in settings.STATUS_CHANGE_TASKS:
            publish_on_commit(task_name, status_change_id=status_change_id)
    # Apps above (the watchlist) look at the changed parcel again, reason-only changes included.
    for shipment_id in updated:
        for task_name in settings.SHIPMENT_UPDATED_TASKS:
            publish_on_commit(task_name, shipment_id=shipment_id)


def _apply_error(shipment: Shipment, error: TrackingError, *, source: str, now: datetime) -> tuple[ApplyReport, bool]:
    shipment.last_error = error.message[:2000]
    shipment.last_error_kind = error.kind
    shipment.last_error_at = now
    shipment.poll_errors += 1
    fields = ["last_error", "last_error_kind", "last_error_at", "poll_errors"]
    if source == "poll":
        shipment.last_polled_at = now
        shipment.poll_count += 1
        fields += ["last_polled_at", "poll_count"]
    status_change_id = None
    from_status = ""
    if expiry_due(
        status=shipment.status, created_at=shipment.created_at, last_event_at=shipment.last_event_at, now=now
    ):
        from_status = shipment.status
        status_change_id = _change_status(shipment, Status.EXPIRED, "", now)
        fields += ["status", "reason", "status_changed_at"]
    shipment.next_poll_at = next_poll_time(
        carrier=shipment.carrier,
        status=shipment.status,
        created_at=shipment.created_at,
        last_event_at=shipment.last_event_at,
        now=now,
        error=error if status_change_id is None else None,
        errors_in_row=shipment.poll_errors,
    )
    fields.append("next_poll_at")
    shipment_columns_update(shipment=shipment, names=fields)
    if error.kind not in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED, ErrorKind.NOT_FOUND):
        logger.warning("shipment %s (%s) poll failed: %s", shipment.pk, shipment.carrier, error.message)
    report = _report(shipment, status_change_id, new_events=0, from_status=from_status, error_kind=error.kind)
    return report, status_change_id is not None


def _apply_result(
    shipment: Shipment, result: TrackingResult, *, stored: list[StoredEvent], source: str, now: datetime
) -> tuple[ApplyReport, bool]:
    # One read of what is stored (``stored``, extended here with what this answer adds) serves both
    # deduplication and the status recomputation.
    written = _applied_values(shipment)
    existing = {key for key, _, _, _ in stored}
    fresh: dict[str, StoredEvent] = {}
    rows: list[EventRow] = []
    to_review: list[tuple[str, str]] = []
    for event in result.events:
        key = event.dedupe_key
        if key in existing or key in fresh:
            continue
        if event.review_code:
            to_review.append((event.review_code, event.text))
        status, reason = event.status.value if event.status is not None else "", str(event.reason or "")
        fresh[key] = (key, status, reason, event.occurred_at)
        rows.append(
            (
                event.occurred_at,
                status,
                reason,
                event.raw_code[:120],
                event.text,
                event.location[:255],
                source,
                event.mapped,
                key,
            )
        )
    if fresh:
        tracking_events_insert(shipment_id=shipment.pk, rows=rows)
        _count_unmapped(shipment, to_review, now)

    before = _visible(shipment)
    # Stored events in arrival order, then the new ones in the order they were inserted.
    stored += fresh.values()
    timeline = [(status, reason, at) for _, status, reason, at in stored]
    derived = status_from_events(timeline, current=shipment.status)
    if shipment.status == Status.EXPIRED and not any(status for _, status, _, _ in fresh.values()):
        # Only news from the carrier revives an expired parcel; a repeated push or poll does not.
        derived = DerivedStatus(shipment.status, shipment.reason, None)
    from_status = shipment.status
    status_change_id = None
    if timeline:
        shipment.last_event_at = max(at for _, _, at in timeline)
    if derived.status != shipment.status:
        status_change_id = _change_status(shipment, derived.status, derived.reason, derived.occurred_at or now)
    elif derived.occurred_at is not None and derived.reason and derived.reason != shipment.reason:
        # A new reason in the same status (customs hold, delay, address problem) is a transition too.
        status_change_id = _change_reason(shipment, derived.reason, derived.occurred_at)
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

    if status_change_id is None and expiry_due(
        status=shipment.status, created_at=shipment.created_at, last_event_at=shipment.last_event_at, now=now
    ):
        from_status = shipment.status
        status_change_id = _change_status(shipment, Status.EXPIRED, "", now)

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
    # Only the columns this answer changed (a poll without news writes its poll bookkeeping alone).
    changed = [name for name, value in zip(APPLIED_FIELDS, written, strict=True) if getattr(shipment, name) != value]
    shipment_columns_update(shipment=shipment, names=changed)
    if status_change_id is not None and shipment.status == Status.DELIVERED:
        lane_record_delivery(shipment=shipment)
    report = _report(shipment, status_change_id, new_events=len(fresh), from_status=from_status)
    return report, bool(fresh) or _visible(shipment) != before


# Every column an apply may change on the shipment.
APPLIED_FIELDS = (
    "status",
    "reason",
    "status_changed_at",
    "last_event_at",
    "eta_from",
    "eta_to",
    "first_eta_from",
    "first_eta_to",
    "pickup_point",
    "proof_of_delivery",
    "service",
    "delivered_at",
    "last_polled_at",
    "poll_count",
    "last_error",
    "last_error_kind",
    "last_error_at",
    "poll_errors",
    "next_poll_at",
)


def _applied_values(shipment: Shipment) -> list[object]:
    return [getattr(shipment, name) for name in APPLIED_FIELDS]


def _change_status(shipment: Shipment, status: str, reason: str, occurred_at: datetime) -> int:
    """Record the move to ``status`` (the StatusChange row) and make it on ``shipment``; the row's id."""
    status_change_id = status_change_insert(
        shipment_id=shipment.pk, from_status=shipment.status, to_status=status, reason=reason, occurred_at=occurred_at
    )
    shipment.status, shipment.reason, shipment.status_changed_at = status, reason, occurred_at
    return status_change_id


def _change_reason(shipment: Shipment, reason: str, occurred_at: datetime) -> int:
    # from_status == to_status marks it reason-only; status_changed_at keeps the status's own moment.
    status_change_id = status_change_insert(
        shipment_id=shipment.pk,
        from_status=shipment.status,
        to_status=shipment.status,
        reason=reason,
        occurred_at=occurred_at,
    )
    shipment.reason = reason
    return status_change_id


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
    shipment: Shipment, status_change_id: int | None, *, new_events: int, from_status: str, error_kind: str = ""
) -> ApplyReport:
    return ApplyReport(
        shipment_id=shipment.pk,
        new_events=new_events,
        status_changed=status_change_id is not None,
        from_status=from_status,
        to_status=shipment.status,
        status_change_id=status_change_id,
        error_kind=error_kind,
    )
