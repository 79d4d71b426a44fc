"""Daily roll-ups: exact rates and percentiles for known histories, under repeats, disorder and backfills."""

import math
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from analytics.kpis import Grouping, delivery_kpis, delivery_totals
from analytics.models import DailyRollup, ShipmentFact
from analytics.rollups import rollups_backfill, shipment_rollup_refresh
from carriers.types import Status
from shipments.models import Direction
from tests.analytics.helpers import journey, parcel, report, warsaw

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 10, 5)


def nearest_rank(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(round(q * len(ordered), 9))) - 1]


def rollup_state(shop):
    fields = [f.name for f in DailyRollup._meta.fields if f.name not in {"id", "updated_at"}]
    return sorted(DailyRollup.objects.filter(shop=shop).values_list(*fields))


def test_a_known_distribution_gives_exact_rates_and_percentiles(shop):
    # given 40 parcels shipped in one week with generated pickup and transit times, a known share
    # delivered on the second attempt, promised days and first estimates of known outcome
    rng = random.Random(15)
    pickups, transits, first_attempts = [], [], 0
    for index in range(40):
        placed_on = MONDAY + timedelta(days=index % 5)
        pickup_after, transit = rng.choice([0, 1, 1, 2]), rng.choice([1, 1, 2, 2, 2, 3, 5])
        failed = index % 4 == 0
        journey(
            shop,
            placed_on=placed_on,
            pickup_after=pickup_after,
            transit=transit,
            failed_first=failed,
            promised_delivery_date=placed_on + timedelta(days=4),
        )
        pickups.append(pickup_after)
        transits.append(transit)
        first_attempts += not failed
    # and 10 more that never arrive: 4 in transit, 3 with an exception, 3 returning to the sender
    for index in range(4):
        report(parcel(shop, placed=warsaw(MONDAY + timedelta(days=index))), [(Status.IN_TRANSIT, warsaw(MONDAY, 18))])
    for _ in range(3):
        report(parcel(shop, placed=warsaw(MONDAY)), [(Status.EXCEPTION, warsaw(MONDAY + timedelta(days=1)))])
    for _ in range(3):
        report(parcel(shop, placed=warsaw(MONDAY)), [(Status.RETURNING_TO_SENDER, warsaw(MONDAY + timedelta(days=2)))])
    for shipment in shop.shipments.all():
        shipment_rollup_refresh(shipment_id=shipment.pk)

    # when the week's KPIs are read
    (row,) = delivery_kpis(shop=shop, start=MONDAY, end=MONDAY + timedelta(days=6), grouping=Grouping.WEEK)

    # then every figure is what the generated history says
    facts = list(ShipmentFact.objects.filter(shop=shop, delivered=True))
    on_time_promised = sum(
        fact.shipment.delivered_at.astimezone(warsaw(MONDAY).tzinfo).date()
        <= fact.shipment.order.promised_delivery_date
        for fact in facts
    )
    assert (row.period, row.shipped, row.delivered) == (MONDAY, 50, 40)
    assert row.delivered_rate == 0.8
    assert row.first_attempt_rate == round(first_attempts / 40, 4)
    assert row.on_time_promised_rate == round(on_time_promised / 40, 4)
    assert row.on_time_first_estimate_rate is None  # no carrier gave an estimate
    assert (row.exception_rate, row.return_rate, row.expired_rate) == (0.06, 0.06, 0.0)
    assert (row.order_to_pickup_p50, row.order_to_pickup_p90) == (
        nearest_rank(pickups, 0.5),
        nearest_rank(pickups, 0.9),
    )
    assert (row.pickup_to_delivery_p50, row.pickup_to_delivery_p90) == (
        nearest_rank(transits, 0.5),
        nearest_rank(transits, 0.9),
    )
    totals = [p + t for p, t in zip(pickups, transits, strict=True)]
    assert (row.order_to_delivery_p50, row.order_to_delivery_p90) == (
        nearest_rank(totals, 0.5),
        nearest_rank(totals, 0.9),
    )


def test_on_time_against_the_first_estimate_is_judged_at_the_first_attempt(shop):
    # given one parcel first announced for Wednesday and delivered Wednesday, one first attempted
    # Wednesday (and delivered Thursday), and one delivered Thursday
    on_time = journey(shop, placed_on=MONDAY, pickup_after=0, transit=2, first_eta=MONDAY + timedelta(days=2))
    attempted = journey(
        shop, placed_on=MONDAY, pickup_after=0, transit=2, failed_first=True, first_eta=MONDAY + timedelta(days=2)
    )
    late = journey(shop, placed_on=MONDAY, pickup_after=0, transit=3, first_eta=MONDAY + timedelta(days=2))

    # when the facts are read
    facts = {fact.shipment_id: fact for fact in ShipmentFact.objects.filter(shop=shop)}

    # then the first two were on time against the first estimate and the last one late
    assert facts[on_time.pk].on_time_first_estimate is True
    assert facts[attempted.pk].on_time_first_estimate is True
    assert facts[attempted.pk].first_attempt is False
    assert facts[late.pk].on_time_first_estimate is False
    assert delivery_totals(shop=shop, start=MONDAY, end=MONDAY).on_time_first_estimate_rate == round(2 / 3, 4)


def test_repeated_and_out_of_order_events_give_the_in_order_roll_ups(shop, other_shop):
    # given the same journeys told in order to one shop and newest-first, twice over, to another
    def tell(target, *, disorder):
        for offset in range(6):
            placed = warsaw(MONDAY + timedelta(days=offset % 3), 9)
            shipment = parcel(target, placed=placed)
            events = [
                (Status.IN_TRANSIT, placed + timedelta(hours=20)),
                (Status.OUT_FOR_DELIVERY, placed + timedelta(days=1, hours=20)),
                (Status.DELIVERED, placed + timedelta(days=2, hours=1 + offset)),
            ]
            if disorder:
                for event in reversed(events):
                    report(shipment, [event])
                    shipment_rollup_refresh(shipment_id=shipment.pk)
                report(shipment, events)
                shipment_rollup_refresh(shipment_id=shipment.pk)
            else:
                report(shipment, events)
            shipment_rollup_refresh(shipment_id=shipment.pk)

    tell(shop, disorder=False)
    tell(other_shop, disorder=True)

    # then both shops' roll-ups are the same, field for field
    def comparable(target):
        return [row[1:] for row in rollup_state(target)]

    assert comparable(shop) == comparable(other_shop)
    assert sum(row.shipped for row in DailyRollup.objects.filter(shop=shop)) == 6


def test_a_return_parcel_is_not_an_outbound_parcel(shop):
    # given a delivered outbound parcel and a delivered return parcel of the same order
    outbound = journey(shop, placed_on=MONDAY, pickup_after=0, transit=1)
    returned = parcel(shop, placed=warsaw(MONDAY))
    returned.direction = Direction.RETURN
    returned.save()
    report(returned, [(Status.IN_TRANSIT, warsaw(MONDAY, 18)), (Status.DELIVERED, warsaw(MONDAY + timedelta(1), 12))])

    # when both are refreshed
    assert shipment_rollup_refresh(shipment_id=returned.pk) is None

    # then only the outbound parcel counts
    assert list(ShipmentFact.objects.filter(shop=shop).values_list("shipment_id", flat=True)) == [outbound.pk]
    assert delivery_totals(shop=shop, start=MONDAY, end=MONDAY).shipped == 1


def test_a_parcel_whose_delivery_is_taken_back_leaves_its_delivery_day(shop):
    # given a parcel counted as delivered on Tuesday
    shipment = journey(shop, placed_on=MONDAY, pickup_after=0, transit=1)
    tuesday = DailyRollup.objects.get(shop=shop, day=MONDAY + timedelta(days=1))
    assert tuesday.delivered_that_day == 1

    # when the carrier then reports it is returning to the sender
    report(shipment, [(Status.RETURNING_TO_SENDER, warsaw(MONDAY + timedelta(days=3)))])
    shipment_rollup_refresh(shipment_id=shipment.pk)

    # then Tuesday's row is gone and Monday's cohort counts a return, not a delivery
    assert not DailyRollup.objects.filter(shop=shop, day=MONDAY + timedelta(days=1)).exists()
    monday = DailyRollup.objects.get(shop=shop, day=MONDAY)
    assert (monday.shipped, monday.delivered, monday.returned) == (1, 0, 1)


def test_the_backfill_rebuilds_what_the_updates_kept_and_is_idempotent(shop, other_shop):
    # given histories kept incrementally in two shops, then a roll-up damaged by hand
    for offset in range(5):
        journey(shop, placed_on=MONDAY + timedelta(days=offset), pickup_after=offset % 2, transit=1 + offset % 3)
    journey(other_shop, placed_on=MONDAY, pickup_after=0, transit=1)
    kept = rollup_state(shop)
    other = rollup_state(other_shop)
    DailyRollup.objects.filter(shop=shop).update(shipped=99)

    # when the backfill runs for the first shop, twice
    call_command("analytics_backfill", "--shop", shop.slug)
    assert rollups_backfill(shop_ids=[shop.pk]) == 5

    # then its roll-ups are what the updates kept, and the other shop's are untouched
    assert rollup_state(shop) == kept
    assert rollup_state(other_shop) == other


def test_the_backfill_refuses_an_unknown_shop(shop):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no shop with slug nope"):
        call_command("analytics_backfill", "--shop", "nope")


def test_an_apply_publishes_the_refresh(shop, published, django_capture_on_commit_callbacks):
    # given a parcel
    shipment = parcel(shop, placed=warsaw(MONDAY))

    # when the carrier reports news
    with django_capture_on_commit_callbacks(execute=True):
        report(shipment, [(Status.IN_TRANSIT, warsaw(MONDAY, 18))])

    # then the analytics refresh is published for it
    assert ("analytics.refresh_shipment", {"shipment_id": shipment.pk}) in published
