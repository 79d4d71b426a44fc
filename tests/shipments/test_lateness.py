"""One definition of lateness: each reference, the filter agreeing with the function, the first estimate kept."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carriers.types import Status
from shipments.lateness import Against, late_shipments_q, shipment_is_late
from shipments.models import Shipment
from shipments.tracking import shipment_apply_result
from tests.factories import OrderFactory, ShipmentFactory
from tests.shipments.factories import event, result

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
# 2026-11-20 13:00 in Warsaw.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _parcel(
    *, status="in_transit", eta_from=None, eta_to=None, first_from=None, first_to=None, promised=None, **fields
):
    order = OrderFactory(promised_delivery_date=promised)
    return ShipmentFactory(
        order=order,
        status=status,
        eta_from=eta_from,
        eta_to=eta_to,
        first_eta_from=first_from,
        first_eta_to=first_to,
        **fields,
    )


def _late(shipment, against, now=NOW):
    return shipment_is_late(
        shipment, now=now, against=against, zone=WARSAW, promised=shipment.order.promised_delivery_date
    )


def test_late_against_the_current_eta_once_its_window_has_ended():
    passed = _parcel(eta_from=NOW - 3 * HOUR, eta_to=NOW - HOUR)
    open_window = _parcel(eta_from=NOW - 3 * HOUR, eta_to=NOW + HOUR)
    start_only = _parcel(eta_from=NOW - HOUR)
    at_the_deadline = _parcel(eta_to=NOW)

    assert _late(passed, Against.CURRENT_ETA) is True
    assert _late(open_window, Against.CURRENT_ETA) is False
    assert _late(start_only, Against.CURRENT_ETA) is True
    assert _late(at_the_deadline, Against.CURRENT_ETA) is True


def test_a_date_only_eta_is_late_only_after_that_whole_day_in_the_shops_zone():
    # Midnight in Warsaw of the 20th ("on the 20th") is 23:00 UTC on the 19th.
    today = _parcel(eta_to=datetime(2026, 11, 19, 23, 0, tzinfo=UTC))
    yesterday = _parcel(eta_to=datetime(2026, 11, 18, 23, 0, tzinfo=UTC))

    assert _late(today, Against.CURRENT_ETA) is False
    assert _late(today, Against.CURRENT_ETA, now=datetime(2026, 11, 20, 22, 59, tzinfo=UTC)) is False
    assert _late(today, Against.CURRENT_ETA, now=datetime(2026, 11, 20, 23, 0, tzinfo=UTC)) is True
    assert _late(yesterday, Against.CURRENT_ETA) is True


def test_late_against_the_first_estimate_even_when_the_eta_moved_later():
    moved = _parcel(eta_to=NOW + 48 * HOUR, first_to=NOW - HOUR)
    never_estimated = _parcel(eta_to=NOW - HOUR)

    assert _late(moved, Against.FIRST_ESTIMATE) is True
    assert _late(moved, Against.CURRENT_ETA) is False
    assert _late(never_estimated, Against.FIRST_ESTIMATE) is False


def test_late_against_the_promised_date_after_its_day_ends_in_the_shops_zone():
    promised_yesterday = _parcel(promised=date(2026, 11, 19))
    promised_today = _parcel(promised=date(2026, 11, 20))
    return_parcel = _parcel(promised=date(2026, 11, 19), direction="return")
    no_promise = _parcel()

    assert _late(promised_yesterday, Against.PROMISED) is True
    assert _late(promised_yesterday, Against.PROMISED, now=datetime(2026, 11, 19, 22, 59, tzinfo=UTC)) is False
    assert _late(promised_yesterday, Against.PROMISED, now=datetime(2026, 11, 19, 23, 0, tzinfo=UTC)) is True
    assert _late(promised_today, Against.PROMISED) is False
    assert _late(return_parcel, Against.PROMISED) is False
    assert _late(no_promise, Against.PROMISED) is False


@pytest.mark.parametrize("status", ["delivered", "returned_to_sender", "cancelled", "expired"])
def test_a_finished_parcel_is_never_late(status):
    shipment = _parcel(status=status, eta_to=NOW - HOUR, first_to=NOW - HOUR, promised=date(2026, 11, 1))

    assert [_late(shipment, against) for against in Against] == [False, False, False]


@pytest.mark.parametrize("against", list(Against))
def test_the_filter_agrees_with_the_function_on_the_same_rows(against):
    rows = [
        _parcel(eta_to=NOW - HOUR, first_to=NOW - HOUR),
        _parcel(eta_to=NOW + HOUR, first_to=NOW + HOUR),
        _parcel(eta_from=NOW - HOUR, first_from=NOW - HOUR),
        _parcel(eta_to=datetime(2026, 11, 19, 23, 0, tzinfo=UTC), first_to=datetime(2026, 11, 19, 23, 0, tzinfo=UTC)),
        _parcel(eta_to=datetime(2026, 11, 18, 23, 0, tzinfo=UTC), first_to=datetime(2026, 11, 18, 23, 0, tzinfo=UTC)),
        _parcel(eta_to=NOW, first_to=NOW),
        _parcel(promised=date(2026, 11, 19)),
        _parcel(promised=date(2026, 11, 20)),
        _parcel(promised=date(2026, 11, 19), direction="return"),
        _parcel(status="delivered", eta_to=NOW - HOUR, first_to=NOW - HOUR, promised=date(2026, 11, 19)),
        _parcel(),
    ]
    expected = {shipment.pk for shipment in rows if _late(shipment, against)}

    filtered = set(
        Shipment.objects.filter(late_shipments_q(now=NOW, against=against, zone=WARSAW)).values_list("pk", flat=True)
    )
    not_late = set(
        Shipment.objects.exclude(late_shipments_q(now=NOW, against=against, zone=WARSAW)).values_list("pk", flat=True)
    )

    assert expected  # every reference has late rows here, so agreement is not vacuous
    assert filtered == expected
    assert not_late == {shipment.pk for shipment in rows} - expected


def test_the_first_estimate_is_kept_when_the_eta_later_moves(published):
    shipment = ShipmentFactory(status="pending", next_poll_at=NOW)
    first_from, first_to = datetime(2026, 11, 6, 8, 0, tzinfo=UTC), datetime(2026, 11, 6, 16, 0, tzinfo=UTC)
    moved_from, moved_to = datetime(2026, 11, 9, 8, 0, tzinfo=UTC), datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    moving = event(9, "ADOPTED", Status.IN_TRANSIT)

    shipment_apply_result(
        shipment_id=shipment.pk,
        outcome=result(shipment.tracking_number, moving, eta_from=first_from, eta_to=first_to),
        source="poll",
        now=NOW,
    )
    shipment_apply_result(
        shipment_id=shipment.pk,
        outcome=result(shipment.tracking_number, moving, eta_from=moved_from, eta_to=moved_to),
        source="poll",
        now=NOW,
    )

    shipment.refresh_from_db()
    assert (shipment.eta_from, shipment.eta_to) == (moved_from, moved_to)
    assert (shipment.first_eta_from, shipment.first_eta_to) == (first_from, first_to)


def test_no_first_estimate_is_stored_while_the_carrier_gives_no_eta(published):
    shipment = ShipmentFactory(status="pending", next_poll_at=NOW)

    shipment_apply_result(
        shipment_id=shipment.pk,
        outcome=result(shipment.tracking_number, event(9, "ADOPTED", Status.IN_TRANSIT)),
        source="poll",
        now=NOW,
    )

    shipment.refresh_from_db()
    assert (shipment.first_eta_from, shipment.first_eta_to) == (None, None)
