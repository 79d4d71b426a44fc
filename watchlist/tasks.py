"""Celery tasks of the watchlist: thin, idempotent by the incidents' unique keys and the watch rows."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from config.celery import one_producer, run_each
from notifications.selectors import shops_with_unresolved_messages
from shipments.models import Shipment
from shops.calendar import local_date
from shops.models import Shop
from watchlist.digest import incident_digest_send
from watchlist.models import Incident, IncidentState
from watchlist.services import shipment_watch_evaluate, watch_scan


@shared_task(
    name="watchlist.evaluate_shipment",
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def evaluate_shipment(shipment_id: int) -> dict[str, int]:
    """Published by shipments after an apply that changed the parcel: look at its incidents now."""
    shipment = Shipment.objects.filter(pk=shipment_id).only("pk").first()
    if shipment is None:
        return {"opened": 0, "resolved": 0}
    outcome = shipment_watch_evaluate(shipment=shipment)
    return {"opened": len(outcome.opened), "resolved": len(outcome.resolved)}


@shared_task(name="watchlist.evaluate_shipments")
def evaluate_shipments(shipment_ids: list[int]) -> int:
    """Published once per poll batch with the parcels it changed: each looked at as ``evaluate_shipment`` does."""
    with one_producer():
        return run_each(shipment_ids, run=_evaluate, single_task="watchlist.evaluate_shipment", key="shipment_id")


def _evaluate(shipment_id: int) -> None:
    shipment = Shipment.objects.filter(pk=shipment_id).only("pk").first()
    if shipment is not None:
        shipment_watch_evaluate(shipment=shipment)


@shared_task(name="watchlist.scan")
def scan() -> dict[str, int]:
    """Beat: enroll new parcels and evaluate those whose next threshold is due (O(due))."""
    outcome = watch_scan()
    return {"opened": len(outcome.opened), "resolved": len(outcome.resolved)}


@shared_task(name="watchlist.send_digests")
def send_digests() -> int:
    """Beat (hourly): each shop with open incidents or unresolved emails gets one digest a day, on its local day."""
    now = timezone.now()
    sent = 0
    shop_ids = set(Incident.objects.filter(state=IncidentState.OPEN).values_list("shop_id", flat=True).distinct())
    shop_ids |= shops_with_unresolved_messages()
    for shop in Shop.objects.filter(pk__in=shop_ids, is_active=True):
        if incident_digest_send(shop=shop, day=local_date(now, shop=shop)) is not None:
            sent += 1
    return sent
