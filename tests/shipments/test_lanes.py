"""Lanes: the lane of a shipment, delivery statistics in business days, idempotency, percentiles."""

from datetime import UTC, datetime

import pytest

from carriers.types import Status
from shipments.lanes import Lane, histogram_percentile, lane_for, lane_percentile, lane_record_delivery
from shipments.models import LANE_HISTOGRAM_TOP, Direction, LaneDelivery, LaneStats
from shipments.tracking import shipment_apply_result
from tests.factories import ShipmentFactory, TrackingEventFactory
from tests.shipments.factories import event, result

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    """A moment in November 2026 (Mon 2, Fri 6, Mon 9, Wed 11 = Independence Day), in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def delivered_shipment(*scans: tuple[str, datetime], carrier="dpd", service="", country="PL", shop=None, **fields):
    """A delivered shipment whose events are ``(status, when)``; the last one is the delivery."""
    extra = {"order__shop": shop} if shop is not None else {}
    shipment = ShipmentFactory(
        carrier=carrier,
        service=service,
        order__shipping_country=country,
        status=Status.DELIVERED,
        delivered_at=scans[-1][1],
        **extra,
        **fields,
    )
    for status, when in scans:
        TrackingEventFactory(shipment=shipment, status=status, occurred_at=when, raw_code=status)
    return shipment


def test_lane_for_is_carrier_service_and_destination_country(shop):
    shipment = ShipmentFactory(
        order__shop=shop, order__shipping_country="cz", carrier="inpost", service="inpost_locker_standard"
    )

    assert lane_for(shipment) == Lane(
        shop_id=shop.pk, carrier="inpost", service="inpost_locker_standard", destination_country="CZ"
    )


def test_a_blank_service_is_a_lane_of_its_own(shop):
    with_service = delivered_shipment(("in_transit", at(3)), ("delivered", at(4)), shop=shop, service="classic")
    without = delivered_shipment(("in_transit", at(3)), ("delivered", at(4)), shop=shop, service="")

    lane_record_delivery(shipment=with_service)
    lane_record_delivery(shipment=without)

    assert lane_for(without).service == ""
    assert sorted(LaneStats.objects.values_list("service", "delivered_count")) == [("", 1), ("classic", 1)]


def test_transit_counts_business_days_from_the_first_scan_not_the_label():
    shipment = delivered_shipment(
        ("info_received", at(2, 8)), ("in_transit", at(3)), ("in_transit", at(4)), ("delivered", at(5, 12))
    )

    delivery = lane_record_delivery(shipment=shipment)

    assert (delivery.transit_days, delivery.scan_gap_days) == (2, 1)
    stats = LaneStats.objects.get()
    assert (stats.shop_id, stats.carrier, stats.service, stats.destination_country) == (
        shipment.shop_id,
        "dpd",
        "",
        "PL",
    )
    assert stats.delivered_count == 1
    assert stats.transit_histogram == [0, 0, 1] + [0] * (LANE_HISTOGRAM_TOP - 2)
    assert stats.scan_gap_histogram == [0, 1] + [0] * (LANE_HISTOGRAM_TOP - 1)


def test_the_scan_gap_is_the_longest_business_day_gap_between_consecutive_events():
    # Tue 3 -> Thu 5 is 2 business days; Thu 5 -> Mon 9 is 2 (the weekend does not count); -> Tue 10 is 1.
    shipment = delivered_shipment(
        ("in_transit", at(3)), ("in_transit", at(5)), ("out_for_delivery", at(9, 7)), ("delivered", at(10))
    )

    delivery = lane_record_delivery(shipment=shipment)

    assert (delivery.transit_days, delivery.scan_gap_days) == (5, 2)


def test_recording_twice_counts_the_delivery_once():
    shipment = delivered_shipment(("in_transit", at(3)), ("delivered", at(4)))

    first = lane_record_delivery(shipment=shipment)
    second = lane_record_delivery(shipment=shipment)

    assert first is not None
    assert second is None
    assert LaneDelivery.objects.count() == 1
    stats = LaneStats.objects.get()
    assert stats.delivered_count == 1
    assert sum(stats.transit_histogram) == 1
    assert sum(stats.scan_gap_histogram) == 1


def test_a_saturday_carrier_counts_the_saturday():
    locker = delivered_shipment(
        ("in_transit", at(6)), ("delivered", at(9)), carrier="inpost", service="inpost_locker_standard"
    )
    courier = delivered_shipment(("in_transit", at(6)), ("delivered", at(9)), carrier="dpd")

    assert lane_record_delivery(shipment=locker).transit_days == 2
    assert lane_record_delivery(shipment=courier).transit_days == 1


def test_holidays_are_the_destination_countrys():
    to_poland = delivered_shipment(("in_transit", at(10)), ("delivered", at(12)), country="PL")
    to_germany = delivered_shipment(("in_transit", at(10)), ("delivered", at(12)), country="DE")

    assert lane_record_delivery(shipment=to_poland).transit_days == 1
    assert lane_record_delivery(shipment=to_germany).transit_days == 2


def test_days_are_the_shops_local_days():
    # Delivered Thursday 23:30 UTC, which is already Friday in Warsaw.
    shipment = delivered_shipment(("in_transit", at(5, 10)), ("delivered", at(5, 23, 30)))

    assert lane_record_delivery(shipment=shipment).transit_days == 1


def test_shop_closures_do_not_slow_the_carrier(shop):
    shop.closures.create(starts_on=at(4).date(), ends_on=at(4).date())
    shipment = delivered_shipment(("in_transit", at(3)), ("delivered", at(5)), shop=shop)

    assert lane_record_delivery(shipment=shipment).transit_days == 2


def test_thirty_or_more_business_days_share_the_last_bucket():
    shipment = delivered_shipment(("in_transit", at(2)), ("delivered", at(20, month=12)))

    delivery = lane_record_delivery(shipment=shipment)

    assert delivery.transit_days == 33
    assert LaneStats.objects.get().transit_histogram[LANE_HISTOGRAM_TOP] == 1
    assert lane_percentile(lane_for(shipment), 0.5) == LANE_HISTOGRAM_TOP


def test_a_delivery_without_an_earlier_scan_is_counted_without_samples():
    shipment = delivered_shipment(("info_received", at(2)), ("delivered", at(4)))

    delivery = lane_record_delivery(shipment=shipment)

    assert (delivery.transit_days, delivery.scan_gap_days) == (None, None)
    stats = LaneStats.objects.get()
    assert stats.delivered_count == 1
    assert sum(stats.transit_histogram) == 0
    assert lane_percentile(lane_for(shipment), 0.5) is None


def test_a_parcel_not_delivered_is_not_counted():
    shipment = ShipmentFactory(status=Status.IN_TRANSIT)
    TrackingEventFactory(shipment=shipment, occurred_at=at(3))

    assert lane_record_delivery(shipment=shipment) is None
    assert LaneStats.objects.count() == 0
    assert LaneDelivery.objects.count() == 0


def test_a_return_parcel_is_not_counted_in_the_orders_lane():
    shipment = delivered_shipment(("in_transit", at(3)), ("delivered", at(4)), direction=Direction.RETURN)

    assert lane_record_delivery(shipment=shipment) is None
    assert LaneStats.objects.count() == 0


def test_lanes_are_kept_per_shop(shop, other_shop):
    mine = delivered_shipment(("in_transit", at(3)), ("delivered", at(4)), shop=shop)
    theirs = delivered_shipment(("in_transit", at(3)), ("delivered", at(6)), shop=other_shop)

    lane_record_delivery(shipment=mine)
    lane_record_delivery(shipment=theirs)

    assert lane_percentile(lane_for(mine), 1) == 1
    assert lane_percentile(lane_for(theirs), 1) == 3


def test_lane_percentiles_of_transit_and_scan_gap(shop):
    for delivered_on in (4, 4, 5, 10):  # 1, 1, 2 and 5 business days after Tuesday the 3rd
        shipment = delivered_shipment(("in_transit", at(3)), ("delivered", at(delivered_on)), shop=shop)
        lane_record_delivery(shipment=shipment)
    lane = lane_for(shipment)

    assert lane_percentile(lane, 0.5) == 1
    assert lane_percentile(lane, 0.75) == 2
    assert lane_percentile(lane, 0.95) == 5
    assert lane_percentile(lane, 0.5, metric="scan_gap") == 1
    assert lane_percentile(lane, 1, metric="scan_gap") == 5


def test_a_lane_without_deliveries_has_no_percentile(shop):
    lane = Lane(shop_id=shop.pk, carrier="dpd", service="", destination_country="PL")

    assert lane_percentile(lane, 0.5) is None


@pytest.mark.parametrize(("q", "expected"), [(0, 1), (0.2, 1), (0.21, 2), (0.5, 2), (0.7, 2), (0.71, 3), (1, 3)])
def test_histogram_percentile_is_nearest_rank(q, expected):
    assert histogram_percentile([0, 2, 5, 3], q) == expected


def test_histogram_percentile_of_nothing_is_none():
    assert histogram_percentile([0, 0, 0], 0.5) is None


@pytest.mark.parametrize("q", [-0.1, 1.5, 50])
def test_histogram_percentile_refuses_a_share_outside_0_to_1(q):
    with pytest.raises(ValueError, match="between 0 and 1"):
        histogram_percentile([1], q)


def test_applying_a_delivery_records_it_in_the_lane_once(published):
    shipment = ShipmentFactory(carrier="inpost", order__shipping_country="PL", next_poll_at=at(2))
    answer = result(
        shipment.tracking_number,
        event(8, "taken_by_courier", Status.IN_TRANSIT, day=3),
        event(9, "delivered", Status.DELIVERED, day=4),
        service="inpost_locker_standard",
    )

    shipment_apply_result(shipment_id=shipment.pk, outcome=answer, source="poll", now=at(4, 12))
    shipment_apply_result(shipment_id=shipment.pk, outcome=answer, source="push", now=at(4, 13))

    stats = LaneStats.objects.get()
    assert (stats.carrier, stats.service, stats.destination_country) == ("inpost", "inpost_locker_standard", "PL")
    assert stats.delivered_count == 1
    assert LaneDelivery.objects.get().transit_days == 1


def test_applying_a_parcel_still_in_transit_records_nothing(published):
    shipment = ShipmentFactory(carrier="inpost", next_poll_at=at(2))
    answer = result(shipment.tracking_number, event(8, "taken_by_courier", Status.IN_TRANSIT, day=3))

    shipment_apply_result(shipment_id=shipment.pk, outcome=answer, source="poll", now=at(4, 12))

    assert LaneStats.objects.count() == 0
    assert LaneDelivery.objects.count() == 0
