"""Celery tasks of the notifications app: thin, named, idempotent by the Message and StatusChange rows.

Each takes ids by keyword (``publish_on_commit`` sends kwargs) and positionally (older publishers).
"""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from config.celery import one_producer, publish_now, run_each
from notifications.models import MessageChannel, MessageStatus
from notifications.outbox import (
    SEND_TASK,
    campaign_message_enqueue,
    messages_release_due,
    sends_batched,
    status_change_process,
)
from notifications.reconcile import messages_reconcile
from notifications.selectors import message_channel, status_changes_unprocessed
from notifications.sending import message_send, messages_recover_stuck, messages_send
from notifications.sms.sending import sms_message_send, sms_messages_recover_stuck

SWEEP_AFTER = timedelta(minutes=1)
PROCESS_STATUS_CHANGE_TASK = "notifications.process_status_change"


@shared_task(name=PROCESS_STATUS_CHANGE_TASK)
def process_status_change(status_change_id: int) -> None:
    """Create the messages of one status change; the service publishes those due now."""
    with one_producer():
        status_change_process(status_change_id=status_change_id)


@shared_task(name="notifications.process_status_changes")
def process_status_changes(status_change_ids: list[int]) -> int:
    """A poll batch's status changes, published once per batch: each processed as ``process_status_change`` does.

    The emails they make that are due at once go out as batch sends (``notifications.send_messages``).
    """
    with one_producer(), sends_batched():
        return run_each(
            status_change_ids,
            run=lambda pk: status_change_process(status_change_id=pk),
            single_task=PROCESS_STATUS_CHANGE_TASK,
            key="status_change_id",
        )


@shared_task(name="notifications.send_message", bind=True, max_retries=None)
def send_message(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one message at most once; a transient ESP error comes back after a backoff."""
    send = sms_message_send if message_channel(message_id=message_id) == MessageChannel.SMS else message_send
    outcome = send(message_id=message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.send_messages")
def send_messages(message_ids: list[int]) -> int:
    """Send a batch of email messages, each at most once; one that must wait is published alone to retry later."""
    outcomes = messages_send(message_ids=message_ids)
    with one_producer():
        for message_id, outcome in outcomes.items():
            if outcome.retry_in is not None:
                publish_now(SEND_TASK, countdown=outcome.retry_in, message_id=message_id)
    return sum(outcome.status == MessageStatus.SENT for outcome in outcomes.values())


@shared_task(name="notifications.send_campaign_message")
def send_campaign_message(status_change_id: int, campaign_id: int, variant: str) -> None:
    """A delayed or late-parcel campaign email came due (published by name by campaigns)."""
    campaign_message_enqueue(status_change_id=status_change_id, campaign_id=campaign_id, variant=variant)


@shared_task(name="notifications.sweep_status_changes")
def sweep_status_changes() -> int:
    """Re-publish status changes nobody processed (the broker was down at commit time)."""
    ids = status_changes_unprocessed(created_before=timezone.now() - SWEEP_AFTER)
    with one_producer():
        for status_change_id in ids:
            publish_now(PROCESS_STATUS_CHANGE_TASK, status_change_id=status_change_id)
    return len(ids)


@shared_task(name="notifications.release_due_messages")
def release_due_messages() -> int:
    """Publish messages whose wait is over (settle window, quiet hours, retries) and recover lost claims."""
    messages_recover_stuck()
    sms_messages_recover_stuck()
    with one_producer():
        return len(messages_release_due())


@shared_task(name="notifications.reconcile_unknown_messages")
def reconcile_unknown_messages() -> dict[str, int]:
    """Settle messages whose outcome is unknown: ask the provider, mark sent, or resend once."""
    return messages_reconcile()
