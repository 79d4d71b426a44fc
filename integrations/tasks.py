"""Beat task: sync every connection that polls (BaseLinker's journal, WooCommerce's back-fill) or writes back."""

from celery import shared_task

from integrations.models import ShopConnection
from integrations.sync import connection_sync, connections_due


@shared_task(name="integrations.sync_due")
def sync_due() -> int:
    """Enqueue one sync per due connection, so a slow platform never holds the others."""
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
