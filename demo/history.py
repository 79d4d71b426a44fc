"""Months of finished parcels for the demo shop, so the dashboard, the delivery analytics, SLA attainment and
learned estimates have an honest history to show: generated journeys on five lanes with known transit
times, written in bulk, then counted through the same services as live parcels (lane statistics, the
analytics backfill). Every parcel here is final, so nothing of it is ever polled."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from analytics.estimates import window_from_histogram
from analytics.models import EstimateRecord, SlaMetric, SlaTarget
from analytics.rollups import rollups_backfill
from carriers.types import Status
from shipments.lanes import lane_for, lane_record_delivery, lane_stats_for
from shipments.models import Order, Shipment, TrackingEvent
from shops.calendar import add_business_days
from shops.models import Shop

WARSAW = ZoneInfo("Europe/Warsaw")
# carrier, service, destination country, weight, {transit business days: weight}, gives an ETA
LANES = [
    ("inpost", "inpost_locker_standard", "PL", 40, {1: 62, 2: 30, 3: 6, 4: 2}, True),
    ("dpd", "", "PL", 25, {1: 45, 2: 35, 3: 14, 4: 5, 6: 1}, True),
    ("poczta_polska", "", "PL", 15, {1: 25, 2: 30, 3: 22, 4: 13, 6: 10}, False),
    ("dhl", "", "DE", 12, {2: 40, 3: 42, 4: 14, 6: 4}, True),
    ("packeta", "", "CZ", 8, {1: 20, 2: 55, 3: 20, 5: 5}, False),
]
SLA_TARGETS = [("inpost", "PL", 2, "95"), ("dpd", "PL", 2, "90"), ("dhl", "DE", 3, "85")]
HISTORY_PREFIX = "HI-"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


def demo_history_seed(*, shop: Shop, now: datetime, days: int = 150, seed: int = 2026) -> int:
    """Generate ``days`` days of finished parcels (about four a day) and the SLA targets; returns the parcels made."""
    rng = random.Random(seed)
    Order.objects.filter(shop=shop, number__startswith=HISTORY_PREFIX).delete()
    today = now.astimezone(WARSAW).date()
    journeys = []
    for offset in range(days, 1, -1):
        placed_on = today - timedelta(days=offset)
        for _ in range(rng.choice((2, 3, 4, 4, 5, 6)) if placed_on.weekday() < 5 else rng.choice((0, 1, 2))):
            carrier, service, country, _, transit, gives_eta = rng.choices(LANES, [lane[3] for lane in LANES])[0]
            calendar = {"country": country, "carrier": carrier, "service": service}
            pickup_on = add_business_days(placed_on, rng.choices((0, 1, 2), (55, 38, 7))[0], **calendar)
            days_in_transit = rng.choices(list(transit), list(transit.values()))[0]
            delivered_on = add_business_days(pickup_on, days_in_transit, **calendar)
            if delivered_on >= today:
                continue
            journeys.append((placed_on, carrier, service, country, pickup_on, delivered_on, gives_eta))
    orders = Order.objects.bulk_create(
        Order(
            shop=shop,
            number=f"{HISTORY_PREFIX}{index:05d}",
            customer_name="Demo Customer",
            customer_email=f"history{index}@example.com",
            shipping_city={"PL": "Kraków", "DE": "Berlin", "CZ": "Brno"}[country],
            shipping_postcode="00-001",
            shipping_country=country,
            locale={"PL": "pl", "DE": "de", "CZ": "cs"}[country],
            total_amount=Decimal(rng.randint(40, 300)),
            placed_at=_at(placed_on, rng.randint(8, 20)),
            promised_delivery_date=placed_on + timedelta(days=3 if country == "PL" else 5),
        )
        for index, (placed_on, _, _, country, *_rest) in enumerate(journeys)
    )
    shipments, events = [], []
    for index, (order, journey) in enumerate(zip(orders, journeys, strict=True)):
        placed_on, carrier, service, country, pickup_on, delivered_on, gives_eta = journey
        outcome = rng.random()
        failed = outcome < 0.06
        returned = 0.06 <= outcome < 0.08
        first_eta = add_business_days(pickup_on, 2, country=country, carrier=carrier) if gives_eta else None
        status = Status.RETURNED_TO_SENDER if returned else Status.DELIVERED
        shipment = Shipment(
            shop=shop,
            order=order,
            carrier=carrier,
            service=service,
            tracking_number=f"HIST{index:08d}",
            status=status,
            status_changed_at=_at(delivered_on, 13),
            first_eta_to=_at(first_eta, 0) if first_eta else None,
            delivered_at=None if returned else _at(delivered_on, 13),
            last_event_at=_at(delivered_on, 13),
        )
        shipments.append(shipment)
        steps = [(Status.INFO_RECEIVED, _at(placed_on, 21)), (Status.IN_TRANSIT, _at(pickup_on, 18))]
        if returned:
            steps += [(Status.EXCEPTION, _at(delivered_on, 9)), (Status.RETURNED_TO_SENDER, _at(delivered_on, 13))]
        else:
            if failed:
                steps.append((Status.FAILED_ATTEMPT, _at(delivered_on, 10)))
            steps.append((Status.DELIVERED, _at(delivered_on, 13)))
        events.append(steps)
    Shipment.objects.bulk_create(shipments)
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            shipment=shipment,
            occurred_at=at,
            status=status,
            raw_code=status,
            text=status.replace("_", " "),
            source="import",
            dedupe_key=f"history-{position}",
        )
        for shipment, steps in zip(shipments, events, strict=True)
        for position, (status, at) in enumerate(steps)
    )
    for shipment in shipments:
        if shipment.status == Status.DELIVERED:
            lane_record_delivery(shipment=shipment)
    _estimates(shop=shop, shipments=shipments, events=events)
    rollups_backfill(shop_ids=[shop.pk])
    for carrier, country, within, percent in SLA_TARGETS:
        SlaTarget.objects.update_or_create(
            shop=shop,
            carrier=carrier,
            destination_country=country,
            metric=SlaMetric.PICKUP_TO_DELIVERY,
            defaults={"within_days": within, "target_percent": Decimal(percent), "min_deliveries": 5},
        )
    return len(shipments)


def _estimates(*, shop: Shop, shipments: list[Shipment], events: list) -> None:
    # The window each parcel would have been shown at its first scan (from the lane as learned by the end).
    records = []
    for shipment, steps in zip(shipments, events, strict=True):
        stats = lane_stats_for(lane_for(shipment))
        if stats is None or sum(stats.transit_histogram) < 10:
            continue
        lane = lane_for(shipment)
        scanned = steps[1][1].date()
        earliest, likely, latest = window_from_histogram(
            stats.transit_histogram,
            start=scanned,
            today=scanned,
            country=lane.destination_country,
            carrier=lane.carrier,
            service=lane.service,
        )
        records.append(
            EstimateRecord(
                shipment=shipment,
                shop=shop,
                made_on=scanned,
                earliest=earliest,
                likely=likely,
                latest=latest,
                samples=sum(stats.transit_histogram),
            )
        )
    EstimateRecord.objects.bulk_create(records)
