"""Analytics tasks: thin, by id, idempotent by the facts and roll-ups they recompute."""

from celery import shared_task

from analytics.rollups import shipment_rollup_refresh


@shared_task(name="analytics.refresh_shipment")
def refresh_shipment(shipment_id: int) -> None:
    """After an apply stored news for ``shipment_id``: re-derive its fact and its roll-up rows."""
    shipment_rollup_refresh(shipment_id=shipment_id)
