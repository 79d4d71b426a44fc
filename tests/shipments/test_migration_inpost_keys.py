"""Old InPost events get the push-and-poll key; a scan stored twice (push, then poll) is kept once."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from carriers.types import event_dedupe_key
from tests.factories import ShopFactory

BEFORE = [("shipments", "0006_lane_stats")]
AFTER = [("shipments", "0007_inpost_event_keys")]
SCAN = datetime(2026, 11, 5, 9, 15, tzinfo=UTC)


def old_key(*said: str) -> str:
    return event_dedupe_key(SCAN, *said)


@pytest.fixture
def back_to_latest_schema():
    # Later migrations (of any app) must be applied again, or the tests after this one see an old schema.
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_schema")
def test_inpost_events_are_rekeyed_and_a_double_stored_scan_is_kept_once():
    # given the schema before the migration, with an InPost scan stored twice and a DPD event
    shop = ShopFactory(slug="migrating-shop")  # today's shops table: later shops migrations stay applied
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Order = apps.get_model("shipments", "Order")
    Shipment = apps.get_model("shipments", "Shipment")
    TrackingEvent = apps.get_model("shipments", "TrackingEvent")
    order = Order.objects.create(shop_id=shop.pk, number="1", placed_at=SCAN)
    inpost = Shipment.objects.create(shop_id=shop.pk, order=order, carrier="inpost", tracking_number="6" * 24)
    dpd = Shipment.objects.create(shop_id=shop.pk, order=order, carrier="dpd", tracking_number="1" * 14)
    pushed = TrackingEvent.objects.create(
        shipment=inpost, occurred_at=SCAN, raw_code="delivered", text="", dedupe_key=old_key("delivered", "", "")
    )
    TrackingEvent.objects.create(
        shipment=inpost, occurred_at=SCAN, raw_code="delivered", text="Doręczona", location="Kraków",
        dedupe_key=old_key("delivered", "Doręczona", "Kraków"),
    )
    dpd_key = old_key("190101", "Delivered", "Warszawa")
    TrackingEvent.objects.create(shipment=dpd, occurred_at=SCAN, raw_code="190101", dedupe_key=dpd_key)

    # when the migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # then the InPost scan is one event under the new key, and the DPD event is untouched
    apps = executor.loader.project_state(AFTER).apps
    TrackingEvent = apps.get_model("shipments", "TrackingEvent")
    assert list(TrackingEvent.objects.filter(shipment_id=inpost.pk).values_list("pk", "dedupe_key")) == [
        (pushed.pk, event_dedupe_key(SCAN, "delivered"))
    ]
    assert list(TrackingEvent.objects.filter(shipment_id=dpd.pk).values_list("dedupe_key", flat=True)) == [dpd_key]
