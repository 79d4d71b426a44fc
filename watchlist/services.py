"""Writes of the watchlist: evaluating a parcel (open and resolve its incidents), a person's actions, the scan.

An incident opens once per episode: while one of its type is open or snoozed (a conditional unique
constraint) nothing new opens, and an episode a person resolved (same anchor) does not open again.
An incident resolves itself as soon as its rule no longer holds: a new scan, delivery, pickup, a new
ETA. Each parcel's ``ShipmentWatch.due_at`` is the next moment one of its rules comes due, so the
beat looks only at due parcels; apply publishes ``watchlist.evaluate_shipment`` for parcels that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import takewhile

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from carriers.types import FINAL_STATUSES
from shipments.models import Shipment
from shipments.services import order_touch
from watchlist.alerts import incident_opened_alert, incident_resolved_alert
from watchlist.models import ACTIVE_STATES, Incident, IncidentState, ShipmentWatch, WatchCursor
from watchlist.rules import Finding, shipment_findings

AUTO_RESOLUTION_NOTE = "The parcel moved on."
SCAN_BATCH = 500
ENROL_LAG = timedelta(minutes=2)
_FINAL = [status.value for status in FINAL_STATUSES]


@dataclass
class WatchOutcome:
    """What one evaluation (or one scan) opened and resolved."""

    opened: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)

    def extend(self, other: WatchOutcome) -> None:
        self.opened += other.opened
        self.resolved += other.resolved


def shipment_watch_evaluate(*, shipment: Shipment, now: datetime | None = None) -> WatchOutcome:
    """Open the incidents ``shipment`` has at ``now``, resolve those it no longer has, and schedule the next look.

    The parcel is read afresh, so a caller may pass an instance loaded before the latest apply.
    """
    now = now or timezone.now()
    outcome = WatchOutcome()
    with transaction.atomic():
        shipment = Shipment.objects.select_related("shop", "order").filter(pk=shipment.pk).first()
        if shipment is None:
            return outcome
        watch, _ = ShipmentWatch.objects.get_or_create(shipment=shipment)
        # One evaluation of a parcel at a time: the watch row is its lock.
        watch = ShipmentWatch.objects.select_for_update().get(pk=watch.pk)
        findings, thresholds = shipment_findings(shipment=shipment, now=now)
        due = {finding.incident_type: finding for finding in findings if finding.due_at <= now}
        active = {
            incident.incident_type: incident
            for incident in Incident.objects.select_for_update().filter(shipment=shipment, state__in=ACTIVE_STATES)
        }
        for incident_type, incident in active.items():
            if incident_type not in due:
                _resolve(incident, now=now, user=None, note=AUTO_RESOLUTION_NOTE)
                outcome.resolved.append(incident)
            elif incident.state == IncidentState.SNOOZED and incident.snoozed_until and incident.snoozed_until <= now:
                incident.state, incident.snoozed_until = IncidentState.OPEN, None
                incident.save(update_fields=["state", "snoozed_until"])
        for incident_type, finding in due.items():
            if incident_type not in active:
                incident = _open(shipment, finding, now=now)
                if incident is not None:
                    outcome.opened.append(incident)
        upcoming = [finding.due_at for finding in findings if finding.due_at > now]
        upcoming += [
            incident.snoozed_until
            for incident in active.values()
            if incident.state == IncidentState.SNOOZED and incident.snoozed_until and incident.snoozed_until > now
        ]
        if outcome.opened or outcome.resolved:
            order_touch(order_id=shipment.order_id)  # the tracking page explains open incidents
        watch.due_at = min(upcoming, default=None)
        watch.evaluated_at = now
        watch.save(update_fields=["due_at", "evaluated_at"])
        for incident in outcome.opened:
            incident_opened_alert(incident=incident, notify_customer=thresholds.notify_customer(incident.incident_type))
        for incident in outcome.resolved:
            incident_resolved_alert(incident=incident)
    return outcome


def _open(shipment: Shipment, finding: Finding, *, now: datetime) -> Incident | None:
    episode = Incident.objects.filter(
        shipment=shipment, incident_type=finding.incident_type, anchor_at=finding.anchor_at
    )
    if episode.exists():
        return None  # this episode was open before and resolved by a person: it stays resolved
    try:
        with transaction.atomic():
            return Incident.objects.create(
                shop_id=shipment.shop_id,
                shipment=shipment,
                incident_type=finding.incident_type,
                anchor_at=finding.anchor_at,
                deadline_at=finding.deadline_at,
                threshold_days=abs(finding.threshold.days),
                threshold_source=finding.threshold.source,
                threshold_note=finding.threshold.note[:200],
                opened_at=now,
            )
    except IntegrityError:
        return None  # opened concurrently: the constraint keeps one


def _resolve(incident: Incident, *, now: datetime, user: AbstractBaseUser | None, note: str) -> None:
    incident.state = IncidentState.RESOLVED
    incident.resolved_at = now
    incident.resolved_by = user
    incident.resolution_note = note
    incident.snoozed_until = None
    incident.save(update_fields=["state", "resolved_at", "resolved_by", "resolution_note", "snoozed_until"])


def incident_resolve(
    *, incident: Incident, user: AbstractBaseUser | None, note: str, now: datetime | None = None
) -> bool:
    """Resolve ``incident`` by a person with a note; False when it was already resolved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.state == IncidentState.RESOLVED:
            return False
        _resolve(locked, now=now, user=user, note=note.strip())
        order_touch(order_id=locked.shipment.order_id)
        incident_resolved_alert(incident=locked)
    incident.refresh_from_db()
    return True


def incident_snooze(*, incident: Incident, until: datetime) -> bool:
    """Snooze an open incident until ``until``; it comes back open then if its rule still holds."""
    with transaction.atomic():
        updated = Incident.objects.filter(pk=incident.pk, state__in=ACTIVE_STATES).update(
            state=IncidentState.SNOOZED, snoozed_until=until
        )
        if updated:
            watch, _ = ShipmentWatch.objects.get_or_create(shipment_id=incident.shipment_id)
            if watch.due_at is None or watch.due_at > until:
                ShipmentWatch.objects.filter(pk=watch.pk).update(due_at=until)
    return bool(updated)


def incident_assign(*, incident: Incident, user: AbstractBaseUser | None) -> None:
    """Assign ``incident`` to a support member (None: unassigned)."""
    Incident.objects.filter(pk=incident.pk).update(assigned_to=user)
    incident.assigned_to = user


def watch_enroll_new(*, now: datetime, limit: int = SCAN_BATCH) -> int:
    """Give parcels created since the last scan a watch row due now; found by id, so O(new)."""
    with transaction.atomic():
        cursor, _ = WatchCursor.objects.get_or_create(name="shipments")
        cursor = WatchCursor.objects.select_for_update().get(pk=cursor.pk)
        rows = Shipment.objects.filter(pk__gt=cursor.last_shipment_id).order_by("pk")
        # Ids are handed out before commit: stop at the first parcel young enough that a lower id may still
        # be committing, so the cursor never passes a parcel it has not seen.
        cutoff = now - ENROL_LAG
        new = list(takewhile(lambda row: row[2] <= cutoff, rows.values_list("pk", "status", "created_at")[:limit]))
        if not new:
            return 0
        ShipmentWatch.objects.bulk_create(
            [ShipmentWatch(shipment_id=pk, due_at=now) for pk, status, _ in new if status not in _FINAL],
            ignore_conflicts=True,
        )
        cursor.last_shipment_id = new[-1][0]
        cursor.save(update_fields=["last_shipment_id"])
    return len(new)


def watches_claim_due(*, now: datetime, limit: int = SCAN_BATCH, lease: timedelta = timedelta(minutes=5)) -> list[int]:
    """Claim the parcels due for a look (SKIP LOCKED, lease pushed forward), oldest due first."""
    with transaction.atomic():
        ids = list(
            ShipmentWatch.objects.select_for_update(skip_locked=True)
            .filter(due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        ShipmentWatch.objects.filter(pk__in=ids).update(due_at=now + lease)
    return ids


def watch_scan(*, now: datetime | None = None, limit: int = SCAN_BATCH) -> WatchOutcome:
    """One beat tick: enroll new parcels, evaluate the parcels whose next threshold is due, and finished
    parcels that still have an active incident (their publish after apply was lost)."""
    now = now or timezone.now()
    watch_enroll_new(now=now, limit=limit)
    outcome = WatchOutcome()
    due = set(watches_claim_due(now=now, limit=limit))
    # Few rows: only active incidents are read, through their partial unique index.
    finished = (
        Incident.objects.filter(state__in=ACTIVE_STATES, shipment__status__in=_FINAL)
        .order_by()
        .values_list("shipment_id", flat=True)
    )
    due.update(finished[:limit])
    for shipment in Shipment.objects.filter(pk__in=due).only("pk"):
        outcome.extend(shipment_watch_evaluate(shipment=shipment, now=now))
    return outcome
