"""Feedback's beat task: announce settled responses (webhook, detractor alert, campaign reaction)."""

from celery import shared_task

from feedback.alerts import feedback_settled_announce


@shared_task(name="feedback.announce_settled", ignore_result=True)
def announce_settled() -> int:
    """Announce responses unchanged for FEEDBACK_SETTLE_SECONDS since their last change (cost: the due rows)."""
    return feedback_settled_announce()
