"""Celery tasks of the shops app: the daily retention sweep over every shop's personal data."""

from typing import Any

from celery import shared_task
from django.utils import timezone

from config.celery import publish_on_commit
from shops.privacy_services import retention_sweep as sweep


@shared_task(name="shops.retention_sweep")
def retention_sweep() -> dict[str, Any]:
    """Erase personal data past each shop's retention; a bounded run that did not finish queues the rest."""
    result = sweep(now=timezone.now())
    if result.more:
        publish_on_commit("shops.retention_sweep")
    return {"orders": result.orders, "counts": result.counts, "more": result.more}
