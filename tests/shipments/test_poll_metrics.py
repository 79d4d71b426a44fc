"""The polling seams feed config.metrics: outcomes per carrier, call latency, rate-limit waits, status changes."""

import pytest

from shipments import carrier_runtime
from shipments.carrier_runtime import RateLimiter
from tests.factories import OrderFactory, ShipmentFactory
from tests.ops.samples import sample
from tests.shipments.test_batch import FakeInPost, inpost_body, run

pytestmark = pytest.mark.django_db


def test_a_batch_counts_each_outcome_the_call_time_and_the_status_change(shop, settings):
    # given an InPost parcel that moves and one InPost does not know
    settings.CARRIER_ENV = {"CARRIER_INPOST_BASE_URL": "http://inpost.test", "CARRIER_INPOST_RATE": "none"}
    order = OrderFactory(shop=shop)
    moving = ShipmentFactory(order=order, tracking_number="620000000000000000000011")
    unknown = ShipmentFactory(order=order, tracking_number="620000000000000000000012")
    fake = FakeInPost(
        {moving.tracking_number: (200, inpost_body(moving.tracking_number, ("delivered", "2026-11-04T08:00:00Z")), {})}
    )
    before = {
        "ok": sample("parcelfront_carrier_polls_total", carrier="inpost", outcome="ok"),
        "not_found": sample("parcelfront_carrier_polls_total", carrier="inpost", outcome="not_found"),
        "calls": sample("parcelfront_carrier_request_duration_seconds_count", carrier="inpost"),
        "delivered": sample("parcelfront_status_changes_total", carrier="inpost", to_status="delivered", source="poll"),
    }

    # when the batch runs twice (the second finds the delivered parcel final and asks nothing)
    run(fake, [moving, unknown])
    run(fake, [moving])

    # then one ok and one not_found outcome, two timed calls (one per number), one status change
    assert sample("parcelfront_carrier_polls_total", carrier="inpost", outcome="ok") - before["ok"] == 1
    assert sample("parcelfront_carrier_polls_total", carrier="inpost", outcome="not_found") - before["not_found"] == 1
    assert sample("parcelfront_carrier_request_duration_seconds_count", carrier="inpost") - before["calls"] == 2
    changes = sample("parcelfront_status_changes_total", carrier="inpost", to_status="delivered", source="poll")
    assert changes - before["delivered"] == 1


def test_rate_limit_waits_are_counted_with_their_seconds(settings, monkeypatch):
    # given DHL at one request per second and a clock that moves only when the limiter sleeps
    settings.CARRIER_ENV = {"CARRIER_DHL_RATE": "1"}
    clock = {"now": 1000.0}
    monkeypatch.setattr(carrier_runtime.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(carrier_runtime.time, "sleep", lambda seconds: clock.__setitem__("now", clock["now"] + seconds))
    waits = sample("parcelfront_rate_limit_waits_total", carrier="dhl")
    seconds = sample("parcelfront_rate_limit_wait_seconds_total", carrier="dhl")
    limiter = RateLimiter()

    # when three requests go at once
    for _ in range(3):
        limiter.acquire("dhl")

    # then the first went straight through, the other two waited a second each
    assert sample("parcelfront_rate_limit_waits_total", carrier="dhl") - waits == 2
    assert sample("parcelfront_rate_limit_wait_seconds_total", carrier="dhl") - seconds == pytest.approx(2.0)
