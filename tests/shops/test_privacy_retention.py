"""The retention sweep: personal data of orders idle past their shop's retention is erased, nothing else."""

from datetime import UTC, datetime, timedelta

import pytest

from api.models import CsvImport, IdempotencyRecord
from config.celery import beat_schedule
from notifications.models import Message, OutboxEmail, Suppression
from notifications.sms.models import OutboxSms
from shipments.models import Order, Shipment
from shops.models import PrivacyRequest
from shops.privacy_services import retention_sweep
from shops.tasks import retention_sweep as retention_sweep_task
from tests.factories import ShopFactory
from tests.shops.privacy_fixtures import customer_footprint, tables_containing

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 12, 1, 3, 0, tzinfo=UTC)


def idle_since(footprint, moment):
    """Make the footprint's order, parcel and stored copies last active at ``moment``."""
    Order.objects.filter(pk=footprint.order.pk).update(updated_at=moment)
    Shipment.objects.filter(order=footprint.order).update(last_event_at=moment, status_changed_at=moment)
    OutboxEmail.objects.filter(shop=footprint.order.shop).update(created_at=moment)
    OutboxSms.objects.filter(shop=footprint.order.shop).update(created_at=moment)
    CsvImport.objects.filter(shop=footprint.order.shop).update(created_at=moment)
    IdempotencyRecord.objects.filter(shop=footprint.order.shop).update(created_at=moment)


def test_sweep_erases_orders_idle_past_retention_and_keeps_recent_ones(shop):
    # given an order idle for 400 days and one whose parcel moved 10 days ago (retention 365 days)
    old = customer_footprint(shop, email="old@example.com", name="Olga Oldfield", phone="+48 500 000 001")
    recent = customer_footprint(shop, email="new@example.com", name="Nina Newman", phone="+48 500 000 002")
    idle_since(old, NOW - timedelta(days=400))
    Order.objects.filter(pk=recent.order.pk).update(updated_at=NOW - timedelta(days=400))
    Shipment.objects.filter(order=recent.order).update(last_event_at=NOW - timedelta(days=10))

    # when the sweep runs
    result = retention_sweep(now=NOW)

    # then only the old order's personal data is gone; statistics and the suppression stay
    assert result.orders == 1 and result.more is False
    assert tables_containing("Olga Oldfield") == {}
    assert tables_containing("+48 500 000 001") == {}
    assert set(tables_containing("old@example.com")) == {"notifications_suppression"}
    recent.order.refresh_from_db()
    assert (recent.order.customer_email, recent.order.customer_name) == ("new@example.com", "Nina Newman")
    assert Message.objects.get(order=recent.order, channel="email").to_email == "new@example.com"
    assert Message.objects.get(order=old.order, channel="email").status == "sent"
    assert Shipment.objects.get(order=old.order).status == "delivered"
    assert Suppression.objects.filter(shop=shop).count() == 2
    audit = PrivacyRequest.objects.get(shop=shop)
    assert (audit.kind, audit.actor_label, audit.counts["shipments.Order"]) == ("retention", "retention", 1)


def test_sweep_uses_each_shops_own_retention(shop, other_shop):
    # given two orders idle for 60 days, one in a shop keeping data for 30 days
    other_shop.retention_days = 30
    other_shop.save()
    kept = customer_footprint(shop, email="kept@example.com", name="Karl Kept", phone="+48 500 000 003")
    gone = customer_footprint(other_shop, email="gone@example.com", name="Greta Gone", phone="+48 500 000 004")
    for footprint in (kept, gone):
        Order.objects.filter(pk=footprint.order.pk).update(updated_at=NOW - timedelta(days=60))
        Shipment.objects.filter(order=footprint.order).update(last_event_at=NOW - timedelta(days=60))

    # when the sweep runs
    retention_sweep(now=NOW)

    # then only the 30-day shop's order is erased
    kept.order.refresh_from_db()
    gone.order.refresh_from_db()
    assert (kept.order.customer_name, gone.order.customer_name) == ("Karl Kept", "")
    assert list(PrivacyRequest.objects.values_list("shop_id", flat=True)) == [other_shop.pk]


def test_sweep_deletes_stored_copies_older_than_retention(shop):
    # given a recent order whose stored email copy and CSV upload are 400 days old
    footprint = customer_footprint(shop, email="copy@example.com", name="Cora Copy", phone="+48 500 000 005")
    OutboxEmail.objects.filter(shop=shop).update(created_at=NOW - timedelta(days=400))
    CsvImport.objects.filter(shop=shop).update(created_at=NOW - timedelta(days=400))
    Order.objects.filter(pk=footprint.order.pk).update(updated_at=NOW - timedelta(days=1))

    # when the sweep runs
    retention_sweep(now=NOW)

    # then the copies are gone and the live order is untouched
    assert (OutboxEmail.objects.count(), CsvImport.objects.count()) == (0, 0)
    footprint.order.refresh_from_db()
    assert footprint.order.customer_email == "copy@example.com"


def test_sweep_works_in_bounded_chunks_and_says_when_more_is_left(shop):
    # given three expired orders
    footprints = [
        customer_footprint(shop, email=f"c{n}@example.com", name=f"Chunk Person{n}", phone=f"+48 500 100 00{n}")
        for n in range(3)
    ]
    for footprint in footprints:
        idle_since(footprint, NOW - timedelta(days=500))

    # when the sweep may take two chunks of one order
    first = retention_sweep(now=NOW, chunk_size=1, max_chunks=2)

    # then two orders are erased and it reports more to do; the next run finishes and a third finds nothing
    assert (first.orders, first.more) == (2, True)
    second = retention_sweep(now=NOW, chunk_size=1, max_chunks=10)
    assert (second.orders, second.more) == (1, False)
    assert retention_sweep(now=NOW).orders == 0
    assert list(Order.objects.values_list("customer_email", flat=True)) == ["", "", ""]


def test_shops_with_nothing_due_do_not_use_up_the_bound(shop, other_shop):
    # given an expired order in the last of three shops, the first two with nothing due
    last_shop = ShopFactory()
    footprint = customer_footprint(last_shop, email="late@example.com", name="Lara Late", phone="+48 500 000 010")
    idle_since(footprint, NOW - timedelta(days=500))

    # when the sweep may run two chunks (one to erase, one to find nothing more)
    result = retention_sweep(now=NOW, chunk_size=10, max_chunks=2)

    # then it reaches the last shop and erases its order
    assert (result.orders, result.more) == (1, False)
    footprint.order.refresh_from_db()
    assert footprint.order.customer_email == ""


def test_retention_task_runs_the_sweep_and_is_on_the_daily_beat(shop, published):
    # given an expired order
    footprint = customer_footprint(shop, email="beat@example.com", name="Bea Beat", phone="+48 500 000 009")
    idle_since(footprint, datetime(2020, 1, 1, tzinfo=UTC))

    # when the beat task runs
    summary = retention_sweep_task()

    # then it erased the order, queued no follow-up, and the beat runs it daily
    assert (summary["orders"], summary["more"]) == (1, False)
    assert published == []
    entry = beat_schedule()["shops-retention-sweep"]
    assert (entry["task"], entry["schedule"]) == ("shops.retention_sweep", 86400)
