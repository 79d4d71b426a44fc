"""Learned delivery estimates: lane percentiles in business days, carrier ETA first, promised fallback, never past."""

from datetime import UTC, date, datetime

import pytest
from django.test import override_settings

from analytics.accuracy import estimate_accuracy
from analytics.estimates import delivery_estimate, estimate_record, learned_estimate, window_from_histogram
from carriers.types import Status
from shipments.models import LANE_HISTOGRAM_TOP, LaneStats
from tests.analytics.helpers import journey, parcel, report, warsaw

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 10, 5)
DPD = {"country": "PL", "carrier": "dpd"}


def histogram(counts: dict[int, int]) -> list[int]:
    buckets = [0] * (LANE_HISTOGRAM_TOP + 1)
    for days, count in counts.items():
        buckets[days] = count
    return buckets


def lane(shop, counts, carrier="dpd", country="PL"):
    return LaneStats.objects.create(
        shop=shop,
        carrier=carrier,
        destination_country=country,
        delivered_count=sum(counts.values()),
        transit_histogram=histogram(counts),
    )


def test_the_window_is_the_lanes_percentiles_in_business_days():
    # given a lane: 20% in 1 business day, 50% in 2, 25% in 3, 5% in 5
    lane_times = histogram({1: 20, 2: 50, 3: 25, 5: 5})

    # when a parcel first scanned on Friday is estimated that day
    window = window_from_histogram(lane_times, start=date(2026, 10, 9), today=date(2026, 10, 9), **DPD)

    # then earliest is p20 (1 bd: Monday), likely p50 (2 bd: Tuesday), latest p90 (3 bd: Wednesday)
    assert window == (date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14))


def test_a_late_parcel_is_re_estimated_forward_never_into_the_past():
    lane_times = histogram({1: 20, 2: 50, 3: 25, 5: 5})

    # when the same parcel is still on its way on Thursday (4 business days later) and then far beyond
    thursday = window_from_histogram(lane_times, start=date(2026, 10, 9), today=date(2026, 10, 15), **DPD)
    much_later = window_from_histogram(lane_times, start=date(2026, 10, 9), today=date(2026, 10, 24), **DPD)

    # then only the deliveries that took 4+ days count (all 5 days: Friday), and past the longest seen it
    # is the next business day, never a day gone by
    assert thursday == (date(2026, 10, 16),) * 3
    assert much_later == (date(2026, 10, 26),) * 3  # Saturday 24th: the next working day for DPD


def test_an_estimate_skips_holidays():
    # Independence Day (Wed 11 Nov) is not a business day
    window = window_from_histogram(histogram({2: 10}), start=date(2026, 11, 9), today=date(2026, 11, 9), **DPD)

    assert window == (date(2026, 11, 12),) * 3


def test_the_carrier_eta_wins_then_the_learned_window_then_the_promised_day(shop):
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)
    shipment = parcel(shop, placed=warsaw(date(2026, 10, 8)), promised_delivery_date=date(2026, 10, 20))
    report(shipment, [(Status.IN_TRANSIT, warsaw(date(2026, 10, 9), 8))])
    shipment.refresh_from_db()

    # with too few deliveries on the lane: the promised day
    lane(shop, {1: 5, 2: 4})
    promised = delivery_estimate(shipment, now=now, promised=date(2026, 10, 20))
    # with ten: the learned window
    LaneStats.objects.filter(shop=shop).update(transit_histogram=histogram({1: 5, 2: 5}))
    learned = delivery_estimate(shipment, now=now, promised=date(2026, 10, 20))
    # with a carrier ETA: the carrier's
    shipment.eta_to = datetime(2026, 10, 14, tzinfo=UTC)
    carrier = delivery_estimate(shipment, now=now, promised=date(2026, 10, 20))
    # a promised day already gone is no estimate
    shipment.eta_to = None
    LaneStats.objects.all().delete()
    gone = delivery_estimate(shipment, now=now, promised=date(2026, 10, 8))

    assert (promised.source, promised.latest) == ("promised", date(2026, 10, 20))
    assert (learned.source, learned.earliest, learned.latest, learned.samples) == (
        "learned",
        date(2026, 10, 12),
        date(2026, 10, 13),
        10,
    )
    assert (carrier.source, carrier.latest) == ("carrier", date(2026, 10, 14))
    assert gone is None


@override_settings(ANALYTICS_ESTIMATE_MIN_SAMPLES=3)
def test_no_learned_window_for_a_return_or_a_delivered_parcel(shop):
    lane(shop, {1: 5})
    delivered = journey(shop, placed_on=MONDAY, pickup_after=0, transit=1)
    delivered.refresh_from_db()
    returning = parcel(shop, placed=warsaw(MONDAY))
    returning.direction = "return"
    returning.save()

    assert learned_estimate(delivered, now=datetime(2026, 10, 6, tzinfo=UTC)) is None
    assert learned_estimate(returning, now=datetime(2026, 10, 6, tzinfo=UTC)) is None


def test_the_tracking_page_and_emails_show_the_learned_window(shop):
    from analytics.estimates import learned_windows_for
    from notifications.estimates import estimated_windows
    from tracking_portal.presenters import shipment_eta

    lane(shop, {1: 5, 2: 5})
    shipment = parcel(shop, placed=warsaw(date(2026, 10, 8)))
    report(shipment, [(Status.IN_TRANSIT, warsaw(date(2026, 10, 9), 8))])
    shipment.refresh_from_db()
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)

    learned = learned_windows_for([shipment], now=now)
    view = shipment_eta(
        shipment, promised=None, language="en", zone=warsaw(MONDAY).tzinfo, now=now, learned=learned[shipment.pk]
    )
    start, end = estimated_windows([shipment], now=now)[shipment.pk]

    assert view.kind == "expected" and "12" in view.text and "13" in view.text
    assert (start.date(), end.date()) == (date(2026, 10, 12), date(2026, 10, 13))


def test_accuracy_is_measured_on_the_estimate_given_at_the_first_scan(shop):
    # given a lane that usually takes 1-2 business days, and two parcels estimated at their first scan
    lane(shop, {1: 5, 2: 5})
    on_time = parcel(shop, placed=warsaw(date(2026, 10, 8)))
    late = parcel(shop, placed=warsaw(date(2026, 10, 8)))
    for shipment in (on_time, late):
        report(shipment, [(Status.IN_TRANSIT, warsaw(date(2026, 10, 9), 8))])
        shipment.refresh_from_db()
        assert estimate_record(shipment=shipment, now=warsaw(date(2026, 10, 9), 9)) is not None
        assert estimate_record(shipment=shipment, now=warsaw(date(2026, 10, 9), 10)) is None  # once
    # when one arrives on Tuesday (the latest day) and the other on Thursday
    from analytics.rollups import shipment_rollup_refresh

    report(on_time, [(Status.DELIVERED, warsaw(date(2026, 10, 13), 12))])
    report(late, [(Status.DELIVERED, warsaw(date(2026, 10, 15), 12))])
    for shipment in (on_time, late):
        shipment_rollup_refresh(shipment_id=shipment.pk)

    accuracy = estimate_accuracy(shop=shop, start=date(2026, 10, 1), end=date(2026, 10, 31))

    # then half arrived by "latest", "likely" (Monday) was off by 1 and 3 business days, windows 1 day wide
    assert (accuracy.delivered, accuracy.by_latest_rate, accuracy.mean_error_days, accuracy.mean_window_days) == (
        2,
        0.5,
        2.0,
        1.0,
    )


def test_a_pages_learned_windows_cost_the_same_queries_for_one_parcel_or_many(shop, django_assert_max_num_queries):
    from analytics.estimates import learned_windows_for

    lane(shop, {1: 5, 2: 5})
    parcels = []
    for _ in range(5):
        shipment = parcel(shop, placed=warsaw(date(2026, 10, 8)))
        report(shipment, [(Status.IN_TRANSIT, warsaw(date(2026, 10, 9), 8))])
        shipment.refresh_from_db()
        parcels.append(shipment)
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)

    with django_assert_max_num_queries(3 + 5):  # shops, lanes, first scans; each parcel's order
        windows = learned_windows_for(parcels, now=now)

    assert set(windows.values()) == {(date(2026, 10, 12), date(2026, 10, 13))}
    assert learned_windows_for([], now=now) == {}
