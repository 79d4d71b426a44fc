"""When to ask a carrier again about a shipment: ``next_poll_at`` by status, age, errors and quota.

Schedule (``next_poll_at`` after every answer; ``age`` = time since the shipment was added,
``quiet`` = time since the newest carrier event; every interval gets ±10 % jitter so parcels added
together spread out):

=========================================  ===========================================
status / situation                          next poll after
=========================================  ===========================================
final (delivered, returned, cancelled,      never (``next_poll_at = None``)
expired)
pending, info_received                      1 h while age < 1 day, 3 h while < 3 days, then 6 h
in_transit                                  2.5 h
out_for_delivery                            30 min
available_for_pickup                        3 h
failed_attempt, exception                   1 h
returning_to_sender                         6 h
idle: non-pending and quiet >= 3 days       at least 12 h (quiet >= 7 days: 24 h)
carrier minimum interval                    never sooner than ``CARRIER_MIN_INTERVAL``
                                            (DHL: 2.4 h = its 10 fetches per shipment per day)
=========================================  ===========================================

Errors (``poll_errors`` = failures in a row, reset by the next good answer):

* ``transient`` / ``rate_limited``: 2 min * 2^(n-1), capped at 2 h, jittered, never before the
  carrier's Retry-After;
* ``not_found``: the pending schedule, except 20 min while the shipment is under 2 h old
  (carriers take 10-30 min to learn a new number);
* ``auth``: the shop's account for that carrier is paused for ``AUTH_PAUSE`` and its parcels wait
  until then (``shipments.carrier_runtime``); the admin shows the error;
* ``invalid_number``, ``expired``, ``carrier_error``: 1 h * 2^(n-1), capped at 24 h.

Expiry: a non-final shipment older than ``MAX_AGE`` (60 days), or still ``pending`` with no carrier
event after ``MAX_AGE_WITHOUT_INFO`` (30 days), becomes ``expired`` with a StatusChange, and is
never polled again.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings

from carriers.types import FINAL_STATUSES, ErrorKind, Status, TrackingError

JITTER = 0.10
AUTH_PAUSE = timedelta(hours=1)
MAX_AGE = timedelta(days=60)
MAX_AGE_WITHOUT_INFO = timedelta(days=30)
NEW_NUMBER_AGE = timedelta(hours=2)
NEW_NUMBER_RETRY = timedelta(minutes=20)
IDLE_AFTER = timedelta(days=3)
VERY_IDLE_AFTER = timedelta(days=7)

STATUS_INTERVALS: Mapping[str, timedelta] = {
    Status.IN_TRANSIT: timedelta(hours=2, minutes=30),
    Status.OUT_FOR_DELIVERY: timedelta(minutes=30),
    Status.AVAILABLE_FOR_PICKUP: timedelta(hours=3),
    Status.FAILED_ATTEMPT: timedelta(hours=1),
    Status.EXCEPTION: timedelta(hours=1),
    Status.RETURNING_TO_SENDER: timedelta(hours=6),
}
# Quotas per shipment: DHL asks for at most 10 fetches per shipment per day.
CARRIER_MIN_INTERVAL: Mapping[str, timedelta] = {"dhl": timedelta(days=1) / 10}

TRANSIENT_BACKOFF = timedelta(minutes=2)
TRANSIENT_CAP = timedelta(hours=2)
PERMANENT_BACKOFF = timedelta(hours=1)
PERMANENT_CAP = timedelta(hours=24)


def jittered(interval: timedelta) -> timedelta:
    """``interval`` ± JITTER, so parcels added together do not stay in lockstep."""
    return interval * (1 + random.uniform(-JITTER, JITTER))


def expiry_due(*, status: str, created_at: datetime, last_event_at: datetime | None, now: datetime) -> bool:
    """True when a non-final shipment has been tracked for too long (see the module table)."""
    if status in FINAL_STATUSES:
        return False
    age = now - created_at
    if age >= MAX_AGE:
        return True
    return status == Status.PENDING and last_event_at is None and age >= MAX_AGE_WITHOUT_INFO


def status_interval(*, status: str, created_at: datetime, last_event_at: datetime | None, now: datetime) -> timedelta:
    """The un-jittered interval for a shipment answered without error (the module table)."""
    age = now - created_at
    if status in (Status.PENDING, Status.INFO_RECEIVED):
        if age < timedelta(days=1):
            return timedelta(hours=1)
        return timedelta(hours=3) if age < timedelta(days=3) else timedelta(hours=6)
    interval = STATUS_INTERVALS.get(status, timedelta(hours=3))
    quiet = now - last_event_at if last_event_at is not None else age
    if quiet >= VERY_IDLE_AFTER:
        interval = max(interval, timedelta(hours=24))
    elif quiet >= IDLE_AFTER:
        interval = max(interval, timedelta(hours=12))
    return interval


def error_interval(
    *, kind: str, errors_in_row: int, retry_after: float | None, created_at: datetime, now: datetime
) -> timedelta:
    """The un-jittered wait after a failed poll (the module's error rules); auth is handled by pausing."""
    exponent = max(0, errors_in_row - 1)
    if kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
        wait = min(TRANSIENT_CAP, TRANSIENT_BACKOFF * 2 ** min(exponent, 16))
        return max(wait, timedelta(seconds=retry_after or 0))
    if kind == ErrorKind.NOT_FOUND:
        if now - created_at < NEW_NUMBER_AGE:
            return NEW_NUMBER_RETRY
        return status_interval(status=Status.PENDING, created_at=created_at, last_event_at=None, now=now)
    if kind == ErrorKind.AUTH:
        return AUTH_PAUSE
    return min(PERMANENT_CAP, PERMANENT_BACKOFF * 2 ** min(exponent, 16))


def next_poll_time(
    *,
    carrier: str,
    status: str,
    created_at: datetime,
    last_event_at: datetime | None,
    now: datetime,
    error: TrackingError | None = None,
    errors_in_row: int = 0,
) -> datetime | None:
    """When to poll next: None for final statuses, else the table's interval, jittered, within quota."""
    if error is None and status in FINAL_STATUSES:
        return None
    if error is None:
        interval = status_interval(status=status, created_at=created_at, last_event_at=last_event_at, now=now)
    else:
        interval = error_interval(
            kind=error.kind, errors_in_row=errors_in_row, retry_after=error.retry_after, created_at=created_at, now=now
        )
    wait = jittered(interval)
    if error is not None and error.retry_after:
        # Jitter must not pull a retry before the carrier's own Retry-After.
        wait = max(wait, timedelta(seconds=error.retry_after))
    # POLLING_TIME_SCALE < 1 only where journeys are compressed too (the demo's fake carrier).
    return now + max(wait, CARRIER_MIN_INTERVAL.get(carrier, timedelta(0))) * settings.POLLING_TIME_SCALE
