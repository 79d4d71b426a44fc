"""Campaign beat tasks on the ``campaigns`` queue: they never hold up transactional emails."""

from celery import shared_task

from campaigns.dispatch import campaign_dispatches_release, late_parcel_apologize


@shared_task(name="campaigns.release_due_dispatches", ignore_result=True)
def release_due_dispatches() -> int:
    """Publish campaign emails whose due time has come (cost per tick: the due rows only)."""
    return campaign_dispatches_release()


@shared_task(name="campaigns.apologize_for_delay", ignore_result=True)
def apologize_for_delay(shipment_id: int) -> int:
    """Published by the watchlist when a parcel's "delayed" incident opens: queue its delay apologies."""
    return late_parcel_apologize(shipment_id=shipment_id)
