"""The one Celery app: JSON only, queues by purpose, late acks, bounded time, bounded waits."""

import gc
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from celery import Celery, signals
from django.conf import settings
from django.db import transaction
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

QUEUES = ("carriers", "emails", "campaigns", "default")

app = Celery("parcelfront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_queues=[Queue(name) for name in QUEUES],
    task_default_queue="default",
    # Separate queues by purpose so a campaign blast never delays a delivery email.
    task_routes={
        "shipments.poll_*": {"queue": "carriers"},
        "notifications.*": {"queue": "emails"},
        "campaigns.*": {"queue": "campaigns"},
    },
    # Tasks are idempotent by persisted state, so redelivery after a crash is safe and wanted.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=300,
    task_soft_time_limit=240,
    worker_max_tasks_per_child=1000,
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=5,
    # Publishing from a web request gives up fast; the outbox sweepers pick up what was not sent.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
    timezone="UTC",
    enable_utc=True,
)
app.autodiscover_tasks()


@signals.worker_process_init.connect
def _worker_process_started(**_: Any) -> None:
    worker_process_prepare()


def worker_process_prepare() -> None:
    """Ready a worker process just forked from its parent: its inherited heap is put out of the collector's reach.

    Everything the parent built (Django, the apps, every imported module: ~200k objects) lives as long as the
    process, yet the child's first full collection walked all of it (~0.3 s of CPU, as much as a hundred polls)
    and wrote to every page it touched. ``gc.freeze`` moves them to the permanent generation once, so later
    collections look only at what the child's own work allocates (the recipe of the ``gc`` module's docs).
    """
    gc.freeze()


_shared_producer: ContextVar[Any] = ContextVar("publish_shared_producer", default=None)


def publish_on_commit(task_name: str, /, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Publish the task ``task_name`` with ``kwargs`` once the current transaction commits; never fail the caller.

    The one way any app starts work after a write: by task name, so a lower app can trigger a higher
    one without importing it. A broker outage must not turn a committed write into a 500, so errors are
    logged and swallowed — only callers with a stored row and a sweeper behind them (the outbox pattern)
    may use it, and then a dead broker delays work but never loses it. Outside a transaction
    (autocommit) it publishes at once.
    """
    transaction.on_commit(partial(publish_now, task_name, countdown=countdown, **kwargs))


def publish_now(task_name: str, /, *, countdown: float | None = None, **kwargs: Any) -> bool:
    """Send ``task_name`` with ``kwargs`` now; False (logged) when the broker refused. ``app.send_task`` is the seam."""
    options: dict[str, Any] = {"countdown": countdown} if countdown else {}
    producer = _shared_producer.get()
    if producer is not None:
        options["producer"] = producer
    try:
        app.send_task(task_name, kwargs=kwargs, **options)
    except Exception:
        logger.exception("could not publish %s %s; its sweeper will retry", task_name, kwargs)
        return False
    return True


@contextmanager
def one_producer() -> Iterator[None]:
    """Publishes inside the block share one broker connection (a batch's many tasks, one connect)."""
    with ExitStack() as stack:
        try:
            producer = stack.enter_context(app.producer_or_acquire())
        except Exception:
            logger.exception("no shared broker connection; publishing one by one")
            producer = None
        token = _shared_producer.set(producer)
        try:
            yield
        finally:
            _shared_producer.reset(token)


def run_each(ids: Iterable[int], *, run: Callable[[int], object], single_task: str, key: str) -> int:
    """The loop of a batch task: ``run(id)`` for each id; one that raises is logged and re-published alone.

    The single task (``single_task`` with ``key=id``) has the retry policy; a batch never retries as a
    whole, so one bad id neither blocks nor repeats the others. Returns how many ran without error.
    """
    done = 0
    for item_id in ids:
        try:
            run(item_id)
        except Exception:
            logger.exception("%s %s failed inside a batch; published alone to %s", key, item_id, single_task)
            publish_now(single_task, **{key: item_id})
        else:
            done += 1
    return done


def beat_entry(task_name: str, seconds: float, **options: Any) -> dict[str, Any]:
    """A beat schedule entry whose message expires before the next tick, so ticks never pile up."""
    return {"task": task_name, "schedule": seconds, "options": {"expires": seconds, **options}}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Every periodic job of every app, in one place so ops see the whole beat at a glance."""
    return {
        "shipments-poll-dispatch": beat_entry("shipments.poll_dispatch", settings.POLL_DISPATCH_SECONDS),
        "api-webhook-sweep": beat_entry("api.webhook_sweep", 15),
        "api-purge-idempotency-records": beat_entry("api.purge_idempotency_records", 3600),
        "notifications-sweep-status-changes": beat_entry("notifications.sweep_status_changes", 60),
        "notifications-release-due-messages": beat_entry("notifications.release_due_messages", 15),
        # Provider lookups may wait on a slow API: on the default queue, never ahead of emails.
        "notifications-reconcile-unknown-messages": beat_entry(
            "notifications.reconcile_unknown_messages", 60, queue="default"
        ),
        "campaigns-release-due-dispatches": beat_entry("campaigns.release_due_dispatches", 60),
        "shops-retention-sweep": beat_entry("shops.retention_sweep", 24 * 3600),
        "returns-sync-parcels": beat_entry("returns.sync_parcels", 300),
        "returns-send-digests": beat_entry("returns.send_digests", 3600),
        "watchlist-scan": beat_entry("watchlist.scan", 60),
        "watchlist-send-digests": beat_entry("watchlist.send_digests", 3600),
        # One heartbeat per queue, consumed by whichever worker serves it: the doctor sees unserved queues.
        **{
            f"ops-heartbeat-{queue}": {**beat_entry("ops.heartbeat", 60, queue=queue), "kwargs": {"queue": queue}}
            for queue in QUEUES
        },
        "integrations-sync-due": beat_entry("integrations.sync_due", settings.INTEGRATIONS_SYNC_SECONDS),
        "feedback-announce-settled": beat_entry("feedback.announce_settled", 60),
        "analytics-check-slas": beat_entry("analytics.check_slas", 3600),
        "analytics-send-monthly-reports": beat_entry("analytics.send_monthly_reports", 3600),
    }


# Lazy: evaluated when Celery first reads its configuration, after Django's settings are loaded.
app.add_defaults(lambda: {"beat_schedule": beat_schedule()})
