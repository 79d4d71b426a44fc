"""Who asks carriers, and when: claiming due shipments, planning batches, the beat tick, the batch run.

Dispatch: a beat tick claims due rows (``SELECT ... FOR UPDATE SKIP LOCKED`` through the partial
index ``shipment_due``, so a tick costs O(due)), moves their ``next_poll_at`` forward by ``LEASE``
(a crashed batch is retried after the lease), groups them by carrier and credentials and publishes
``shipments.poll_batch`` tasks (routed to the ``carriers`` queue).

Batch run: one task fetches its numbers through the carrier's adapter (paced by the rate limiter of
``shipments.carrier_runtime``, several calls in flight), then applies every outcome with
``shipments.tracking`` and records the shop's carrier health. When each poll is next due is
``shipments.schedule``'s business.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carriers.base import Outcome
from carriers.registry import UnknownCarrier, adapter_class, build_adapter
from carriers.types import FINAL_STATUSES, ErrorKind, TrackingError
from config import metrics
from config.celery import one_producer, publish_on_commit
from shipments.carrier_runtime import (
    cached_adapter,
    carrier_account_record,
    carrier_accounts_ensure,
    carrier_config,
    rate_limiter,
)
from shipments.models import CarrierAccount, Shipment
from shipments.schedule import CARRIER_MIN_INTERVAL, PERMANENT_CAP, jittered
from shipments.tracking import shipments_apply_results

LEASE = timedelta(minutes=10)
# Numbers per batch task: several adapter calls per task amortize the queue round trip while the
# rate limiter still paces the calls themselves.
NUMBERS_PER_TASK = 50
# Seconds a batch may spend waiting for rate-limit tokens and fetching (the task soft limit is 240 s).
FETCH_BUDGET_SECONDS = 120.0


@dataclass(frozen=True)
class PollBatch:
    """One task's worth of work: shipments of one carrier sharing one set of credentials."""

    carrier: str
    account_id: int | None
    shipment_ids: tuple[int, ...]


def shipments_claim_due(
    *, now: datetime, limit: int, shop_id: int | None = None, carrier: str | None = None
) -> list[tuple[int, int, str]]:
    """Claim up to ``limit`` due shipments as ``(id, shop_id, carrier)``, pushing them a lease ahead.

    ``FOR UPDATE SKIP LOCKED`` lets concurrent dispatchers take disjoint rows; on SQLite (no row
    locks) the IMMEDIATE transaction serializes the select and update instead.
    """
    with transaction.atomic():
        due = Shipment.objects.filter(next_poll_at__lte=now)
        if shop_id is not None:
            due = due.filter(shop_id=shop_id)
        if carrier is not None:
            due = due.filter(carrier=carrier)
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_poll_at")
            .values_list("id", "shop_id", "carrier")[:limit]
        )
        if rows:
            Shipment.objects.filter(pk__in=[row[0] for row in rows]).update(next_poll_at=now + LEASE)
    return rows


def poll_batches_plan(claimed: Iterable[tuple[int, int, str]]) -> list[PollBatch]:
    """Group claimed shipments by carrier and credentials, chunked to whole adapter batches."""
    claimed = list(claimed)
    shop_ids = {shop for _, shop, _ in claimed}
    carriers = {carrier for _, _, carrier in claimed}
    own_credentials = {
        (account.shop_id, account.carrier): account.pk
        for account in CarrierAccount.objects.filter(shop_id__in=shop_ids, carrier__in=carriers)
        if account.has_credentials
    }
    groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for shipment_id, shop, carrier in claimed:
        groups[(carrier, own_credentials.get((shop, carrier)))].append(shipment_id)
    batches = []
    for (carrier, account_id), ids in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        size = _task_size(carrier)
        for start in range(0, len(ids), size):
            batches.append(PollBatch(carrier, account_id, tuple(ids[start : start + size])))
    return batches


def _task_size(carrier: str) -> int:
    try:
        batch_size = max(1, adapter_class(carrier).batch_size)
    except KeyError:
        return NUMBERS_PER_TASK
    return batch_size * max(1, math.ceil(NUMBERS_PER_TASK / batch_size))


def poll_dispatch(
    *, now: datetime | None = None, limit: int = 5000, shop_id: int | None = None, carrier: str | None = None
) -> list[PollBatch]:
    """One dispatcher tick: claim due shipments and enqueue their batch tasks after the claim commits."""
    now = now or timezone.now()
    with transaction.atomic():
        batches = poll_batches_plan(shipments_claim_due(now=now, limit=limit, shop_id=shop_id, carrier=carrier))
        for batch in batches:
            publish_on_commit(
                "shipments.poll_batch",
                carrier=batch.carrier,
                shipment_ids=list(batch.shipment_ids),
                account_id=batch.account_id,
            )
    return batches


def shipments_poll_now(*, shipment_ids: Sequence[int], now: datetime | None = None) -> int:
    """Make non-final shipments due now (admin "poll now"), within each carrier's per-shipment quota.

    Returns how many were made due; a DHL parcel polled less than 2.4 h ago becomes due when its
    quota allows instead.
    """
    now = now or timezone.now()
    open_shipments = Shipment.objects.filter(pk__in=list(shipment_ids)).exclude(status__in=list(FINAL_STATUSES))
    count = open_shipments.exclude(carrier__in=list(CARRIER_MIN_INTERVAL)).update(next_poll_at=now)
    for shipment in open_shipments.filter(carrier__in=list(CARRIER_MIN_INTERVAL)).only("carrier", "last_polled_at"):
        allowed = shipment.last_polled_at + CARRIER_MIN_INTERVAL[shipment.carrier] if shipment.last_polled_at else now
        Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=max(now, allowed))
        count += 1
    return count


@dataclass
class BatchReport:
    """What one batch did, for the ops command and logs."""

    carrier: str
    fetched: int = 0
    changed: int = 0
    new_events: int = 0
    skipped: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def merge(self, other: BatchReport) -> None:
        """Add ``other``'s counts to this report."""
        self.fetched += other.fetched
        self.changed += other.changed
        self.new_events += other.new_events
        self.skipped += other.skipped
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count


def shipments_poll_batch(
    *,
    carrier: str,
    shipment_ids: Sequence[int],
    account_id: int | None = None,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> BatchReport:
    """Fetch ``carrier``'s answers for the shipments and apply each; safe to run twice.

    Final shipments and shops whose account is disabled or paused are skipped (paused ones wait
    until the pause ends). An auth error pauses the shop's account for ``AUTH_PAUSE``.
    """
    now = now or timezone.now()
    report = BatchReport(carrier=carrier)
    claimed = Shipment.objects.filter(pk__in=list(shipment_ids), carrier=carrier)
    # A parcel that became final since the claim (a push) must not keep the claim's lease as a due time.
    claimed.filter(status__in=list(FINAL_STATUSES), next_poll_at__isnull=False).update(next_poll_at=None)
    shipments = list(claimed.exclude(status__in=list(FINAL_STATUSES)).values_list("id", "shop_id", "tracking_number"))
    try:
        adapter_class(carrier)
    except UnknownCarrier:
        # A carrier code without an adapter (removed or misspelt) is recorded on each parcel, not retried.
        unknown = TrackingError(ErrorKind.CARRIER_ERROR, f"no adapter is registered for carrier {carrier!r}")
        shipments_apply_results(outcomes=[(pk, unknown) for pk, _, _ in shipments], source="poll", now=now)
        report.fetched += len(shipments)
        report.errors[ErrorKind.CARRIER_ERROR] = len(shipments)
        return report
    accounts = carrier_accounts_ensure(shop_ids={shop for _, shop, _ in shipments}, carrier=carrier)
    active = []
    for shipment_id, shop_id, number in shipments:
        account = accounts[shop_id]
        if not account.enabled or (account.paused_until and account.paused_until > now):
            resume = account.paused_until if account.enabled and account.paused_until else now + PERMANENT_CAP
            Shipment.objects.filter(pk=shipment_id).update(next_poll_at=resume + jittered(timedelta(minutes=5)))
            report.skipped += 1
        else:
            active.append((shipment_id, shop_id, number))
    if not active:
        return report

    own = CarrierAccount.objects.filter(pk=account_id).first() if account_id is not None else None
    config = carrier_config(carrier, own)
    adapter = build_adapter(carrier, config=config, client=client) if client else cached_adapter(carrier, config)
    by_number: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for shipment_id, shop_id, number in active:
        by_number[number].append((shipment_id, shop_id))
    numbers = list(by_number)
    size = max(1, adapter.batch_size)
    chunks = [numbers[start : start + size] for start in range(0, len(numbers), size)]
    limiter = rate_limiter()

    # The whole batch shares one time budget so a busy carrier cannot hold a task past its time limit.
    deadline = time.monotonic() + FETCH_BUDGET_SECONDS

    def fetch(chunk: list[str]) -> dict[str, Outcome]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not limiter.acquire(carrier, max_wait=min(30.0, remaining)):
            throttled = TrackingError(
                ErrorKind.RATE_LIMITED, f"{carrier}: no room under our own rate limit in this batch", retry_after=60.0
            )
            return metrics.carrier_outcomes_counted(carrier, dict.fromkeys(chunk, throttled))
        return metrics.carrier_fetch_observed(carrier, adapter.fetch, chunk)

    workers = max(1, min(settings.CARRIER_FETCH_CONCURRENCY, len(chunks)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"poll-{carrier}") as pool:
        answers = list(pool.map(fetch, chunks))
    # Applied after every fetch thread is done, on the task's own thread and DB connection: with the
    # fetch threads still running, each database round trip would wait for the GIL.
    health: dict[int, list[TrackingError | None]] = defaultdict(list)
    to_apply: list[tuple[int, Outcome]] = []
    for outcomes in answers:
        for number, outcome in outcomes.items():
            for shipment_id, shop_id in by_number.get(number, ()):
                to_apply.append((shipment_id, outcome))
                if isinstance(outcome, TrackingError):
                    report.errors[outcome.kind] = report.errors.get(outcome.kind, 0) + 1
                    health[shop_id].append(outcome)
                else:
                    health[shop_id].append(None)
    # One transaction for the batch, a savepoint per shipment; its publishes share one broker connection.
    with one_producer():
        for applied in shipments_apply_results(outcomes=to_apply, source="poll", now=now):
            report.fetched += 1
            report.new_events += applied.new_events
            report.changed += int(applied.status_changed)
            if applied.error_kind == "apply_failed":
                report.errors["apply_failed"] = report.errors.get("apply_failed", 0) + 1
    for shop_id, outcomes in health.items():
        carrier_account_record(account=accounts[shop_id], outcomes=outcomes, now=now)
    return report
