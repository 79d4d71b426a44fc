"""The demo's generated history: finished parcels that feed every analytics view and are never polled."""

from datetime import UTC, date, datetime

import pytest

from analytics.accuracy import estimate_accuracy
from analytics.kpis import delivery_totals
from analytics.models import SlaTarget
from demo.history import demo_history_seed
from shipments.models import LaneStats, Shipment

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_the_history_feeds_the_roll_ups_lanes_estimates_and_slas(shop):
    made = demo_history_seed(shop=shop, now=NOW, days=40)
    again = demo_history_seed(shop=shop, now=NOW, days=40)  # replaces, never doubles

    totals = delivery_totals(shop=shop, start=date(2026, 10, 1), end=date(2026, 11, 20))
    accuracy = estimate_accuracy(shop=shop, start=date(2026, 10, 1), end=date(2026, 11, 20))

    assert made == again > 60
    assert totals.shipped == Shipment.objects.filter(shop=shop).count() == made
    assert 0.85 < totals.delivered_rate < 1
    assert totals.pickup_to_delivery_p50 in (1, 2) and totals.first_attempt_rate > 0.85
    assert LaneStats.objects.filter(shop=shop).count() == 5
    assert accuracy.delivered > 0 and accuracy.by_latest_rate >= 0.85
    assert SlaTarget.objects.filter(shop=shop).count() == 3
    assert not Shipment.objects.filter(shop=shop, next_poll_at__isnull=False).exists()
