"""Celery tasks of the api app: thin, idempotent by persisted rows (unique events, claimed deliveries)."""

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import DatabaseError

from api.idempotency import idempotency_records_purge
from api.return_events import return_webhooks_sweep
from api.services import (
    status_changes_missing_webhooks,
    webhook_deliveries_claim_due,
    webhook_delivery_attempt,
    webhook_event_emit,
    webhook_events_for_bounced_messages,
    webhook_events_for_status_change,
)
from config.celery import one_producer, run_each
from shops.models import Shop

SWEEP_WINDOW = timedelta(days=2)
SWEEP_GRACE = timedelta(seconds=30)  # leave fresh rows to the task published on commit
SWEEP_BATCH = 200


@shared_task(
    name="api.status_change_webhooks",
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def status_change_webhooks(status_change_id: int) -> int:
    """Turn one StatusChange into webhook events and queue their deliveries; returns how many events."""
    return len(webhook_events_for_status_change(status_change_id=status_change_id))


@shared_task(name="api.status_change_webhooks_batch")
def status_change_webhooks_batch(status_change_ids: list[int]) -> int:
    """A poll batch's status changes, published once per batch: each as ``api.status_change_webhooks`` does."""
    with one_producer():
        return run_each(
            status_change_ids,
            run=lambda pk: webhook_events_for_status_change(status_change_id=pk),
            single_task="api.status_change_webhooks",
            key="status_change_id",
        )


@shared_task(name="api.deliver_webhook")
def deliver_webhook(delivery_id: int, claim_token: str) -> str:
    """Send one claimed delivery once; failures are rescheduled in the database, not by Celery."""
    result = webhook_delivery_attempt(delivery_id=delivery_id, claim_token=claim_token)
    if result is None:
        return "not claimed"
    return "succeeded" if result.succeeded else (result.error or f"HTTP {result.status_code}")


@shared_task(name="api.webhook_sweep")
def webhook_sweep() -> dict[str, int]:
    """Beat: events for status changes and returns whose task was lost, for bounced emails; claim due deliveries."""
    missed = list(
        status_changes_missing_webhooks(since=SWEEP_WINDOW, grace=SWEEP_GRACE, limit=SWEEP_BATCH).values_list(
            "pk", flat=True
        )
    )
    for status_change_id in missed:
        webhook_events_for_status_change(status_change_id=status_change_id)
    bounces = webhook_events_for_bounced_messages(since=SWEEP_WINDOW, limit=SWEEP_BATCH)
    returns = return_webhooks_sweep(since=SWEEP_WINDOW, grace=SWEEP_GRACE, limit=SWEEP_BATCH)
    claimed = webhook_deliveries_claim_due(limit=SWEEP_BATCH)
    return {"status_changes": len(missed), "bounces": bounces, "returns": returns, "deliveries": len(claimed)}


@shared_task(name="api.emit_webhook_event")
def emit_webhook_event(shop_id: int, event_type: str, data: dict[str, Any], dedupe_key: str) -> str | None:
    """Entry point by name for apps that may not import api (e.g. ``message.bounced`` from notifications)."""
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is None:
        return None
    return webhook_event_emit(shop=shop, event_type=event_type, data=data, dedupe_key=dedupe_key).event_id


@shared_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Daily: forget idempotency keys older than their 24-hour lifetime."""
    return idempotency_records_purge()
