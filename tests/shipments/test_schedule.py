"""The adaptive polling table, error back-off, quotas and expiry (shipments.schedule docstring)."""

from datetime import UTC, datetime, timedelta

import pytest

from carriers.types import ErrorKind, TrackingError
from shipments import schedule
from shipments.schedule import expiry_due, next_poll_time

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch):
    monkeypatch.setattr(schedule, "jittered", lambda interval: interval)


def wait(status, *, age, quiet=None, carrier="inpost", error=None, errors_in_row=0):
    at = next_poll_time(
        carrier=carrier,
        status=status,
        created_at=NOW - age,
        last_event_at=None if quiet is None else NOW - quiet,
        now=NOW,
        error=error,
        errors_in_row=errors_in_row,
    )
    return None if at is None else at - NOW


@pytest.mark.parametrize(
    ("status", "age", "quiet", "expected"),
    [
        ("pending", timedelta(minutes=5), None, timedelta(hours=1)),
        ("pending", timedelta(days=2), None, timedelta(hours=3)),
        ("info_received", timedelta(days=4), timedelta(days=4), timedelta(hours=6)),
        ("in_transit", timedelta(days=1), timedelta(hours=2), timedelta(hours=2, minutes=30)),
        ("out_for_delivery", timedelta(days=1), timedelta(hours=1), timedelta(minutes=30)),
        ("available_for_pickup", timedelta(days=2), timedelta(hours=5), timedelta(hours=3)),
        ("failed_attempt", timedelta(days=2), timedelta(hours=5), timedelta(hours=1)),
        ("exception", timedelta(days=2), timedelta(hours=5), timedelta(hours=1)),
        ("returning_to_sender", timedelta(days=9), timedelta(days=1), timedelta(hours=6)),
        ("in_transit", timedelta(days=5), timedelta(days=4), timedelta(hours=12)),
        ("out_for_delivery", timedelta(days=12), timedelta(days=8), timedelta(hours=24)),
        ("delivered", timedelta(days=2), timedelta(hours=1), None),
        ("returned_to_sender", timedelta(days=20), timedelta(days=1), None),
        ("cancelled", timedelta(days=1), None, None),
        ("expired", timedelta(days=61), None, None),
    ],
)
def test_next_poll_follows_the_table(status, age, quiet, expected):
    assert wait(status, age=age, quiet=quiet) == expected


def test_dhl_is_never_polled_more_than_ten_times_a_day_per_shipment():
    # out for delivery would be 30 min, but DHL allows 10 fetches per shipment per day
    assert wait("out_for_delivery", age=timedelta(days=1), quiet=timedelta(hours=1), carrier="dhl") == timedelta(
        hours=2, minutes=24
    )


def test_jitter_spreads_within_ten_percent(monkeypatch):
    monkeypatch.undo()
    waits = {wait("in_transit", age=timedelta(days=1), quiet=timedelta(hours=1)) for _ in range(50)}
    assert len(waits) > 1
    assert all(timedelta(hours=2, minutes=15) <= value <= timedelta(hours=2, minutes=45) for value in waits)


@pytest.mark.parametrize(
    ("kind", "errors_in_row", "retry_after", "age", "expected"),
    [
        (ErrorKind.TRANSIENT, 1, None, timedelta(days=1), timedelta(minutes=2)),
        (ErrorKind.TRANSIENT, 4, None, timedelta(days=1), timedelta(minutes=16)),
        (ErrorKind.TRANSIENT, 30, None, timedelta(days=1), timedelta(hours=2)),
        (ErrorKind.RATE_LIMITED, 1, 600.0, timedelta(days=1), timedelta(minutes=10)),
        (ErrorKind.NOT_FOUND, 1, None, timedelta(minutes=10), timedelta(minutes=20)),
        (ErrorKind.NOT_FOUND, 5, None, timedelta(days=2), timedelta(hours=3)),
        (ErrorKind.AUTH, 1, None, timedelta(days=1), timedelta(hours=1)),
        (ErrorKind.CARRIER_ERROR, 1, None, timedelta(days=1), timedelta(hours=1)),
        (ErrorKind.INVALID_NUMBER, 3, None, timedelta(days=1), timedelta(hours=4)),
        (ErrorKind.CARRIER_ERROR, 20, None, timedelta(days=1), timedelta(hours=24)),
    ],
)
def test_errors_back_off(kind, errors_in_row, retry_after, age, expected):
    error = TrackingError(kind, "x", retry_after=retry_after)
    assert wait("in_transit", age=age, quiet=timedelta(hours=1), error=error, errors_in_row=errors_in_row) == expected


def test_retry_after_is_honoured_even_with_jitter(monkeypatch):
    monkeypatch.undo()
    error = TrackingError(ErrorKind.RATE_LIMITED, "x", retry_after=3600)
    assert wait("in_transit", age=timedelta(days=1), error=error, errors_in_row=1) >= timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "age", "quiet", "expected"),
    [
        ("in_transit", timedelta(days=59), timedelta(days=1), False),
        ("in_transit", timedelta(days=60), timedelta(days=1), True),
        ("pending", timedelta(days=29), None, False),
        ("pending", timedelta(days=30), None, True),
        ("info_received", timedelta(days=31), timedelta(days=31), False),
        ("delivered", timedelta(days=90), timedelta(days=80), False),
    ],
)
def test_expiry(status, age, quiet, expected):
    last_event_at = None if quiet is None else NOW - quiet
    assert expiry_due(status=status, created_at=NOW - age, last_event_at=last_event_at, now=NOW) is expected


def test_demo_time_scale_shrinks_every_interval_quota_included(settings):
    # Given the demo's compressed clock (its fake carrier plays journeys 720x faster)
    settings.POLLING_TIME_SCALE = 1 / 720
    # Then the table and the DHL quota shrink by the same factor, and final parcels still never poll
    assert wait("out_for_delivery", age=timedelta(days=1), quiet=timedelta(hours=1)) == timedelta(seconds=2.5)
    assert wait("out_for_delivery", age=timedelta(days=1), quiet=timedelta(hours=1), carrier="dhl") == timedelta(
        seconds=12
    )
    assert wait("delivered", age=timedelta(days=1), quiet=timedelta(hours=1)) is None
