"""Celery tasks of the polling engine; thin wrappers over ``shipments.dispatch``.

Both names start with ``shipments.poll_`` so they route to the ``carriers`` queue.
"""

from celery import shared_task

from shipments.dispatch import poll_dispatch, shipments_poll_batch


@shared_task(name="shipments.poll_dispatch", ignore_result=True)
def poll_dispatch_tick() -> int:
    """Beat tick (~30 s): claim due shipments and enqueue their batches; returns how many batches."""
    return len(poll_dispatch())


@shared_task(name="shipments.poll_batch", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def poll_batch(carrier: str, shipment_ids: list[int], account_id: int | None = None) -> dict[str, int]:
    """Fetch and apply one batch. Rerunning is harmless: events deduplicate, status is recomputed.

    No Celery retry: per-shipment failures are rescheduled in the database (``next_poll_at``), and a
    crash leaves the claim's lease to expire so the next tick claims the rows again.
    """
    report = shipments_poll_batch(carrier=carrier, shipment_ids=shipment_ids, account_id=account_id)
    return {"fetched": report.fetched, "changed": report.changed, "errors": sum(report.errors.values())}
