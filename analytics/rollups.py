"""Keeping the daily roll-ups: a parcel's fact is re-derived on every update, and the roll-up rows it
feeds (its lane on the shipped day and on the delivered day, before and after) are recomputed from
their facts.

Recomputing a row from its facts (not adding deltas) makes repeated and out-of-order updates
harmless: the row always equals what its facts say. Rows are locked (in one order) before their
facts are read, so concurrent updates of one lane-day serialize and the last one sees both facts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from analytics.facts import Fact, shipment_fact
from analytics.models import DailyRollup, ShipmentFact, empty_histogram
from shipments.models import LANE_HISTOGRAM_TOP, Direction, Shipment

logger = logging.getLogger(__name__)

RowKey = tuple[int, str, str, str, date]  # shop, carrier, service, destination country, day

# On time for the "delivered this week" figures: against the first estimate, else the promised day.
ON_TIME_KNOWN = Q(on_time_first_estimate__isnull=False) | Q(on_time_promised__isnull=False)
ON_TIME = Q(on_time_first_estimate=True) | Q(on_time_first_estimate__isnull=True, on_time_promised=True)

COHORT_COUNTS = {
    "shipped": Count("pk"),
    "delivered": Count("pk", filter=Q(delivered=True)),
    "first_estimate_known": Count("pk", filter=Q(on_time_first_estimate__isnull=False)),
    "on_time_first_estimate": Count("pk", filter=Q(on_time_first_estimate=True)),
    "promised_known": Count("pk", filter=Q(on_time_promised__isnull=False)),
    "on_time_promised": Count("pk", filter=Q(on_time_promised=True)),
    "first_attempt": Count("pk", filter=Q(first_attempt=True)),
    "exceptions": Count("pk", filter=Q(had_exception=True)),
    "expired": Count("pk", filter=Q(expired=True)),
    "returned": Count("pk", filter=Q(returned=True)),
    "in_flight": Count("pk", filter=Q(in_flight=True)),
}
DURATIONS = ("order_to_pickup", "pickup_to_delivery", "order_to_delivery")


def _row_keys(fact: Fact | ShipmentFact) -> set[RowKey]:
    if isinstance(fact, Fact):
        lane = fact.lane
        shop_id, carrier, service, country = lane.shop_id, lane.carrier, lane.service, lane.destination_country
    else:
        shop_id, carrier, service, country = fact.shop_id, fact.carrier, fact.service, fact.destination_country
    days = {fact.shipped_on} | ({fact.delivered_on} if fact.delivered_on else set())
    return {(shop_id, carrier, service, country, day) for day in days}


def _fact_fields(fact: Fact) -> dict:
    fields = asdict(fact)
    lane: dict = fields.pop("lane")
    fields.update(
        shop_id=lane["shop_id"],
        carrier=lane["carrier"],
        service=lane["service"],
        destination_country=lane["destination_country"],
    )
    return fields


def _stored_fields(stored: ShipmentFact, names: Iterable[str]) -> dict:
    return {name: getattr(stored, name) for name in names}


def shipment_rollup_refresh(*, shipment_id: int) -> ShipmentFact | None:
    """Re-derive ``shipment_id``'s fact and recompute the roll-up rows it fed and feeds; safe to repeat.

    Returns the stored fact (None for a return parcel or a shipment that no longer exists).
    """
    with transaction.atomic():
        shipment = Shipment.objects.select_related("order", "shop").filter(pk=shipment_id).first()
        stored = ShipmentFact.objects.select_for_update().filter(pk=shipment_id).first()
        fact = shipment_fact(shipment) if shipment is not None else None
        fields = _fact_fields(fact) if fact is not None else None
        if fields is not None and stored is not None and fields == _stored_fields(stored, fields):
            return stored  # nothing it counts for moved (a repeated event, a poll with no news)
        keys: set[RowKey] = _row_keys(stored) if stored is not None else set()
        if fact is None:
            if stored is not None:
                stored.delete()
            result = None
        else:
            result, _ = ShipmentFact.objects.update_or_create(shipment_id=shipment_id, defaults=fields)
            keys |= _row_keys(fact)
        rollup_rows_recompute(keys=keys)
    return result


def rollup_rows_recompute(*, keys: Iterable[RowKey]) -> None:
    """Recompute each roll-up row named by ``keys`` from its facts (deleting rows left with nothing)."""
    ordered = sorted(set(keys))
    if not ordered:
        return
    with transaction.atomic():
        DailyRollup.objects.bulk_create(
            [DailyRollup(**_key_fields(key)) for key in ordered], ignore_conflicts=True, batch_size=500
        )
        # Locked one at a time in key order, so concurrent refreshes take their locks alike and never deadlock.
        rows = [DailyRollup.objects.select_for_update().get(**_key_fields(key)) for key in ordered]
        for row in rows:
            _recompute(row)


def _key_fields(key: RowKey) -> dict:
    shop_id, carrier, service, country, day = key
    return {"shop_id": shop_id, "carrier": carrier, "service": service, "destination_country": country, "day": day}


def _recompute(row: DailyRollup) -> None:
    lane = ShipmentFact.objects.filter(
        shop_id=row.shop_id, carrier=row.carrier, service=row.service, destination_country=row.destination_country
    )
    cohort = lane.filter(shipped_on=row.day)
    for name, value in cohort.aggregate(**COHORT_COUNTS).items():
        setattr(row, name, value)
    histograms = {name: empty_histogram() for name in DURATIONS}
    for values in cohort.values_list(*(f"{name}_days" for name in DURATIONS)):
        for name, days in zip(DURATIONS, values, strict=True):
            if days is not None:
                histograms[name][min(days, LANE_HISTOGRAM_TOP)] += 1
    for name, histogram in histograms.items():
        setattr(row, name, histogram)
    that_day = lane.filter(delivered_on=row.day).aggregate(
        delivered=Count("pk"), known=Count("pk", filter=ON_TIME_KNOWN), on_time=Count("pk", filter=ON_TIME)
    )
    row.delivered_that_day = that_day["delivered"]
    row.on_time_known_that_day = that_day["known"]
    row.on_time_that_day = that_day["on_time"]
    if row.shipped == 0 and row.delivered_that_day == 0:
        row.delete()
    else:
        row.save()


def rollups_backfill(*, shop_ids: Iterable[int] | None = None, chunk: int = 500) -> int:
    """Re-derive every outbound parcel's fact (of ``shop_ids``, or all shops) and rebuild their roll-ups.

    Idempotent: run it after a deploy, a lost task or a changed calendar. Returns the parcels seen.
    """
    shipments = Shipment.objects.filter(direction=Direction.OUTBOUND)
    facts = ShipmentFact.objects.all()
    rollups = DailyRollup.objects.all()
    if shop_ids is not None:
        shop_ids = list(shop_ids)
        shipments, facts = shipments.filter(shop_id__in=shop_ids), facts.filter(shop_id__in=shop_ids)
        rollups = rollups.filter(shop_id__in=shop_ids)
    # Facts of parcels that are gone or turned into returns go first.
    facts.exclude(shipment__in=shipments).delete()
    seen, last_pk = 0, 0
    while True:
        batch = list(shipments.filter(pk__gt=last_pk).select_related("order", "shop").order_by("pk")[:chunk])
        if not batch:
            break
        with transaction.atomic():
            for shipment in batch:
                fact = shipment_fact(shipment)
                if fact is not None:
                    ShipmentFact.objects.update_or_create(shipment_id=shipment.pk, defaults=_fact_fields(fact))
        seen += len(batch)
        last_pk = batch[-1].pk
    rollups_rebuild(facts=facts, rollups=rollups)
    logger.info("analytics backfill: %s parcels", seen)
    return seen


def rollups_rebuild(*, facts: QuerySet[ShipmentFact], rollups: QuerySet[DailyRollup]) -> None:
    """Recompute every roll-up row the given facts feed, and drop rows none of them feeds."""
    keys: set[RowKey] = set()
    lane_fields = ("shop_id", "carrier", "service", "destination_country")
    for *lane, shipped_on, delivered_on in facts.values_list(*lane_fields, "shipped_on", "delivered_on").distinct():
        keys.add((*lane, shipped_on))
        if delivered_on is not None:
            keys.add((*lane, delivered_on))
    with transaction.atomic():
        rollups.delete()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 200):
            rollup_rows_recompute(keys=ordered[start : start + 200])
