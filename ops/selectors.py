"""Reads of the system's backlog for the scrape-time gauges and the doctor: cheap, bounded, index-backed."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q
from kombu.exceptions import ChannelError

from config.celery import QUEUES
from notifications.models import Message, MessageChannel, MessageStatus
from ops.probes import broker_connection
from shipments.models import Shipment, StatusChange

# Counting a huge backlog row by row costs as much as the backlog; past this many "at least" is enough.
COUNT_CAP = 100_000


def celery_queue_depths(*, timeout: float) -> dict[str, int]:
    """Messages waiting in each Celery queue (not yet taken by a worker); raises when the broker is unreachable."""
    depths = {}
    with broker_connection(timeout) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        channel = broker.default_channel
        for queue in QUEUES:
            try:
                depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:
                depths[queue] = 0  # Redis drops an empty queue's key: nothing waits there
    return depths


def status_changes_unprocessed_count() -> int:
    """Outbox rows no consumer has processed yet (partial index ``statuschange_unprocessed``), capped."""
    return StatusChange.objects.filter(processed_at__isnull=True).values("pk")[:COUNT_CAP].count()


def messages_queued_by_channel(*, now: datetime) -> dict[tuple[str, bool], int]:
    """Queued, unsent messages per (channel, due now) (index ``message_due``); every pair present, zeros included."""
    counts = dict.fromkeys(((channel, due) for channel in MessageChannel.values for due in (True, False)), 0)
    queued = Message.objects.filter(status=MessageStatus.QUEUED)
    rows = queued.values("channel").annotate(
        due=Count("pk", filter=Q(send_after__lte=now)), waiting=Count("pk", filter=Q(send_after__gt=now))
    )
    for row in rows.order_by():
        counts[(row["channel"], True)] = row["due"]
        counts[(row["channel"], False)] = row["waiting"]
    return counts


def oldest_due_parcel_lag_seconds(*, now: datetime) -> float:
    """How late the most overdue poll is (index ``shipment_due``); 0 when nothing is due."""
    oldest = Shipment.objects.filter(next_poll_at__lte=now).aggregate(oldest=Min("next_poll_at"))["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
