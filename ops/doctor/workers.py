"""Doctor checks of the background: beat ticking, and a worker consuming every Celery queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from config.celery import QUEUES
from ops.doctor import Finding, Level
from ops.heartbeats import BEAT, HEARTBEAT_SECONDS, heartbeats_last_seen, queue_heartbeat_name
from ops.selectors import celery_queue_depths

AREA = "workers"
# Three missed heartbeats: a restart in progress takes less, a dead process more.
STALE_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS


def _age(seen: datetime | None, now: datetime) -> float | None:
    return None if seen is None else (now - seen).total_seconds()


def check_beat() -> Iterator[Finding]:
    """Beat records a tick at least every half minute; without beat nothing is polled, swept or sent late."""
    now = timezone.now()
    age = _age(heartbeats_last_seen().get(BEAT), now)
    fix = "Start exactly one `celery -A config beat` (systemd: parcelfront-beat.service)"
    if age is None:
        yield Finding(AREA, "beat", Level.ERROR, "no beat tick was ever recorded", fix)
    elif age > STALE_AFTER_SECONDS:
        yield Finding(AREA, "beat", Level.ERROR, f"last tick {age:.0f} s ago", fix)
    else:
        yield Finding(AREA, "beat", Level.OK, f"last tick {age:.0f} s ago")


def check_queues() -> Iterator[Finding]:
    """Each queue's heartbeat task was taken by a worker recently; tasks waiting with none taken mean no worker."""
    now = timezone.now()
    seen = heartbeats_last_seen()
    try:
        depths: dict[str, int] | None = celery_queue_depths(timeout=5)
    except Exception as error:
        depths = None
        yield Finding(AREA, "queue depths", Level.ERROR, f"broker unreachable: {error}", "Check the broker (Redis)")
    for queue in QUEUES:
        age = _age(seen.get(queue_heartbeat_name(queue)), now)
        waiting = f"{depths[queue]} task(s) waiting" if depths is not None else "depth unknown"
        fix = f"Start a worker for it: `celery -A config worker -Q {queue}` (systemd: parcelfront-worker@)"
        if age is None:
            yield Finding(AREA, f"queue {queue}", Level.ERROR, f"never consumed; {waiting}", fix)
        elif age > STALE_AFTER_SECONDS:
            yield Finding(AREA, f"queue {queue}", Level.ERROR, f"last consumed {age:.0f} s ago; {waiting}", fix)
        else:
            yield Finding(AREA, f"queue {queue}", Level.OK, f"consumed {age:.0f} s ago; {waiting}")


CHECKS = (check_beat, check_queues)
