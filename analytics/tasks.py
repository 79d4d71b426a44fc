"""Analytics tasks: thin, by id, idempotent by the rows they recompute or create once."""

from celery import shared_task
from django.utils import timezone

from analytics.estimates import estimate_record
from analytics.reports import monthly_reports_send
from analytics.rollups import shipment_rollup_refresh
from analytics.sla import sla_check_all
from config.celery import one_producer, run_each
from shipments.models import Shipment


@shared_task(name="analytics.refresh_shipment")
def refresh_shipment(shipment_id: int) -> None:
    """After an apply stored news for ``shipment_id``: re-derive its fact and roll-up rows, keep its first estimate."""
    _refresh(shipment_id)


@shared_task(name="analytics.refresh_shipments")
def refresh_shipments(shipment_ids: list[int]) -> int:
    """Published once per poll batch with the parcels it changed: each refreshed as ``refresh_shipment`` does."""
    with one_producer():
        return run_each(shipment_ids, run=_refresh, single_task="analytics.refresh_shipment", key="shipment_id")


def _refresh(shipment_id: int) -> None:
    shipment_rollup_refresh(shipment_id=shipment_id)
    shipment = Shipment.objects.select_related("order", "shop").filter(pk=shipment_id).first()
    if shipment is not None:
        estimate_record(shipment=shipment, now=timezone.now())


@shared_task(name="analytics.check_slas")
def check_slas() -> int:
    """Beat (hourly): judge every active SLA target on the last complete week; alerts go out once per week."""
    return sla_check_all(today=timezone.now().date())


@shared_task(name="analytics.send_monthly_reports")
def send_monthly_reports() -> int:
    """Beat (hourly): each active shop gets last month's carrier report once, early in the new month."""
    return monthly_reports_send(now=timezone.now())
