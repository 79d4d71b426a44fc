"""Heartbeats: beat records its ticks, and a task per queue (sent by beat) records that a worker consumed it.

The doctor compares their age with ``HEARTBEAT_SECONDS``: a queue whose heartbeat is old has no worker
(or a stuck one); an old beat tick means no beat is running, so nothing periodic happens — no polling.
"""

from __future__ import annotations

import time
from datetime import datetime

from celery.beat import PersistentScheduler
from django.utils import timezone

from ops.models import Heartbeat

# Beat sends each queue its heartbeat task this often; beat records its own tick at most this often.
HEARTBEAT_SECONDS = 60.0
BEAT = "beat"


def queue_heartbeat_name(queue: str) -> str:
    return f"queue:{queue}"


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """Store that ``name`` was seen working now (one row per name, overwritten)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})


def heartbeats_last_seen() -> dict[str, datetime]:
    """Every part's last heartbeat, by name."""
    return dict(Heartbeat.objects.values_list("name", "at"))


class RecordingScheduler(PersistentScheduler):
    """Celery's file-backed beat scheduler that also records its tick, so the doctor can tell beat is alive."""

    _recorded_at = 0.0

    def tick(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if time.monotonic() - self._recorded_at >= HEARTBEAT_SECONDS / 2:
            try:
                heartbeat_record(name=BEAT)
                self._recorded_at = time.monotonic()
            except Exception:  # a database hiccup must never stop the beat itself
                self.logger.warning("beat: could not record the heartbeat", exc_info=True)
        return super().tick(*args, **kwargs)
