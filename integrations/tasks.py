"""Beat task: sync every connection that polls (BaseLinker's journal, WooCommerce's back-fill) or writes back."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from integrations.models import ShopConnection, WebhookReceipt
from integrations.sync import connection_sync, connections_due

# Platforms retry a webhook for up to two days (Shopify: 48 h); receipts are kept well beyond that.
RECEIPTS_KEPT = timedelta(days=7)


@shared_task(name="integrations.sync_due")
def sync_due() -> int:
    """Enqueue one sync per due connection, so a slow platform never holds the others; forget old receipts."""
    WebhookReceipt.objects.filter(received_at__lt=timezone.now() - RECEIPTS_KEPT).delete()
    due = connections_due()
    for connection in due:
        sync_connection.delay(connection_id=connection.pk)
    return len(due)


@shared_task(name="integrations.sync_connection", acks_late=True, reject_on_worker_lost=True)
def sync_connection(*, connection_id: int) -> None:
    """Sync one connection; safe to run twice (the cursor and the platform ids make repeats harmless)."""
    connection = ShopConnection.objects.select_related("shop").filter(pk=connection_id).first()
    if connection is not None:
        connection_sync(connection=connection)
