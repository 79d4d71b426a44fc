"""Campaign beat tasks on the ``campaigns`` queue: they never hold up transactional emails."""

from celery import shared_task

from campaigns.dispatch import campaign_dispatches_release, late_parcel_apologize
from campaigns.reactions import feedback_detractor_react


@shared_task(name="campaigns.release_due_dispatches", ignore_result=True)
def release_due_dispatches() -> int:
    """Publish campaign emails whose due time has come (cost per tick: the due rows only)."""
    return campaign_dispatches_release()


@shared_task(name="campaigns.apologize_for_delay", ignore_result=True)
def apologize_for_delay(shipment_id: int) -> int:
    """Published by the watchlist when a parcel's "delayed" incident opens: queue its delay apologies."""
    return late_parcel_apologize(shipment_id=shipment_id)


@shared_task(name="campaigns.react_to_feedback_detractor", ignore_result=True)
def react_to_feedback_detractor(order_id: int) -> int:
    """Published by the feedback app when a customer's score is a detractor's: queue the shop's reaction emails."""
    return feedback_detractor_react(order_id=order_id)
