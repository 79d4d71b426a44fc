"""Celery entry points of returns: issuing carrier codes (retried while the carrier is down), syncing parcels."""

from __future__ import annotations

from celery import shared_task

from carriers.inpost_returns import InPostReturnsRejected, InPostReturnsUnavailable
from returns.digest import return_digests_send
from returns.methods import return_code_issue, return_codes_republish_lost, return_parcels_sync


@shared_task(
    name="returns.issue_code",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(InPostReturnsUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def issue_code(self, return_request_id: int) -> str | None:  # type: ignore[no-untyped-def]
    """Issue the return's carrier code; a carrier outage retries with backoff, a refusal stays recorded."""
    try:
        issued = return_code_issue(return_request_id=return_request_id)
    except InPostReturnsRejected:
        return None
    return issued.return_code if issued else None


@shared_task(name="returns.sync_parcels")
def sync_parcels() -> int:
    """Beat: returns whose parcel started moving become in transit; lost code tasks are published again."""
    return_codes_republish_lost()
    return return_parcels_sync()


@shared_task(name="returns.send_digests")
def send_digests() -> int:
    """Beat: each shop hears of new return requests waiting for its approval, in one digest email."""
    return return_digests_send()
