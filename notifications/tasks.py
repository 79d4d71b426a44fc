"""Celery tasks of the notifications app: thin, named, idempotent by the Message and StatusChange rows."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.selectors import status_changes_unprocessed

SWEEP_AFTER = timedelta(minutes=1)


@shared_task(name="notifications.process_status_change")
def process_status_change(status_change_id: int) -> None:
    """Create the messages of one status change and publish those due now."""
    due_ids = services.status_change_process(status_change_id=status_change_id)
    _publish_sends(due_ids)


@shared_task(name="notifications.send_message", bind=True, max_retries=None)
def send_message(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one message at most once; a transient ESP error comes back after a backoff."""
    outcome = services.message_send(message_id=message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.send_campaign_message")
def send_campaign_message(status_change_id: int, campaign_id: int, variant: str) -> None:
    """A delayed or late-parcel campaign email came due (published by name by campaigns)."""
    due_ids = services.campaign_message_enqueue(
        status_change_id=status_change_id, campaign_id=campaign_id, variant=variant
    )
    _publish_sends(due_ids)


@shared_task(name="notifications.sweep_status_changes")
def sweep_status_changes() -> int:
    """Re-publish status changes nobody processed (the broker was down at commit time)."""
    ids = status_changes_unprocessed(created_before=timezone.now() - SWEEP_AFTER)
    for status_change_id in ids:
        process_status_change.delay(status_change_id)
    return len(ids)


@shared_task(name="notifications.release_due_messages")
def release_due_messages() -> int:
    """Publish messages whose wait is over (settle window, quiet hours, retries) and recover lost claims."""
    services.messages_recover_stuck()
    due_ids = services.messages_release_due()
    _publish_sends(due_ids)
    return len(due_ids)


def _publish_sends(message_ids: list[int]) -> None:
    for message_id in message_ids:
        transaction.on_commit(lambda message_id=message_id: send_message.delay(message_id))
