"""The dispatcher: claiming due shipments with a lease, grouping them into batch tasks."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from shipments import dispatch
from shipments.dispatch import LEASE, PollBatch, poll_batches_plan, poll_dispatch, shipments_claim_due
from shipments.models import Shipment
from tests.factories import OrderFactory, ShipmentFactory
from tests.shipments.factories import CarrierAccountFactory

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_claim_takes_due_rows_oldest_first_and_leases_them(shop):
    # given two due shipments, one not yet due and one final (no due time)
    order = OrderFactory(shop=shop)
    late = ShipmentFactory(order=order, next_poll_at=NOW - timedelta(hours=2))
    due = ShipmentFactory(order=order, next_poll_at=NOW - timedelta(minutes=1))
    later = ShipmentFactory(order=order, next_poll_at=NOW + timedelta(minutes=5))
    final = ShipmentFactory(order=order, status="delivered", next_poll_at=None)

    # when the dispatcher claims
    claimed = shipments_claim_due(now=NOW, limit=10)

    # then only the due ones are claimed, oldest first, and their due time is a lease ahead
    assert claimed == [(late.pk, shop.pk, "inpost"), (due.pk, shop.pk, "inpost")]
    assert set(Shipment.objects.filter(next_poll_at=NOW + LEASE).values_list("pk", flat=True)) == {late.pk, due.pk}
    later.refresh_from_db()
    final.refresh_from_db()
    assert (later.next_poll_at, final.next_poll_at) == (NOW + timedelta(minutes=5), None)
    # and a second tick finds nothing until the lease runs out
    assert shipments_claim_due(now=NOW + timedelta(minutes=1), limit=10) == []
    again = [row[0] for row in shipments_claim_due(now=NOW + LEASE, limit=10)]
    # (the two leased ones are due at the same moment: either may come first)
    assert again[0] == later.pk and sorted(again[1:]) == sorted([late.pk, due.pk])


@pytest.mark.django_db
def test_claim_honours_limit_and_filters(shop, other_shop):
    # given due shipments of two shops and two carriers
    mine = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=NOW)
    ShipmentFactory(order=OrderFactory(shop=shop), carrier="dhl", tracking_number="1234567890", next_poll_at=NOW)
    ShipmentFactory(order=OrderFactory(shop=other_shop), next_poll_at=NOW)

    # when claiming for one shop and carrier, then with a limit
    filtered = shipments_claim_due(now=NOW, limit=10, shop_id=shop.pk, carrier="inpost")
    limited = shipments_claim_due(now=NOW, limit=1)

    # then the filters and the limit hold
    assert filtered == [(mine.pk, shop.pk, "inpost")]
    assert len(limited) == 1


@pytest.mark.django_db
def test_plan_groups_by_carrier_and_credentials_and_chunks(shop, other_shop, monkeypatch):
    # given a shop with its own InPost credentials and others on the deployment's credentials
    monkeypatch.setattr(dispatch, "NUMBERS_PER_TASK", 2)
    account = CarrierAccountFactory(shop=shop, carrier="inpost", api_key="own-key")
    claimed = [
        (1, shop.pk, "inpost"),
        (2, other_shop.pk, "inpost"),
        (3, other_shop.pk, "inpost"),
        (4, other_shop.pk, "inpost"),
        (5, shop.pk, "dhl"),
    ]

    # when planned
    batches = poll_batches_plan(claimed)

    # then each carrier and credential set gets its own batches of at most the task size
    assert batches == [
        PollBatch("dhl", None, (5,)),
        PollBatch("inpost", None, (2, 3)),
        PollBatch("inpost", None, (4,)),
        PollBatch("inpost", account.pk, (1,)),
    ]


@pytest.mark.django_db
def test_dispatch_enqueues_batch_tasks_after_commit(shop, published, django_capture_on_commit_callbacks):
    # given two due shipments
    first = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=NOW)
    second = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=NOW)

    # when a tick runs
    with django_capture_on_commit_callbacks(execute=True):
        batches = poll_dispatch(now=NOW)

    # then one batch task is published with the claimed ids, routed to the carriers queue
    assert published == [
        ("shipments.poll_batch", {"carrier": "inpost", "shipment_ids": [first.pk, second.pk], "account_id": None})
    ]
    assert len(batches) == 1
    from config.celery import app

    assert app.amqp.router.route({}, "shipments.poll_batch")["queue"].name == "carriers"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatchers_never_claim_the_same_shipment(shop):
    # given 400 due shipments
    order = OrderFactory(shop=shop)
    Shipment.objects.bulk_create(
        [
            Shipment(shop=shop, order=order, carrier="inpost", tracking_number=f"6200{index:020d}", next_poll_at=NOW)
            for index in range(400)
        ]
    )
    claims: list[list[int]] = [[], [], [], []]
    start = threading.Barrier(4)

    def dispatcher(slot: int) -> None:
        try:
            start.wait()
            while rows := shipments_claim_due(now=NOW, limit=7):
                claims[slot].extend(row[0] for row in rows)
        finally:
            connection.close()

    # when four dispatchers (threads with their own connections) claim at once until nothing is due
    threads = [threading.Thread(target=dispatcher, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every shipment was claimed exactly once
    everything = [pk for claim in claims for pk in claim]
    assert len(everything) == 400
    assert len(set(everything)) == 400
    assert sum(1 for claim in claims if claim) >= 2


@pytest.mark.django_db
def test_poll_now_keeps_dhl_within_its_quota(shop):
    # given a DHL parcel polled an hour ago and an InPost parcel polled a minute ago
    order = OrderFactory(shop=shop)
    dhl = ShipmentFactory(
        order=order, carrier="dhl", tracking_number="1234567890", last_polled_at=NOW - timedelta(hours=1)
    )
    inpost = ShipmentFactory(order=order, last_polled_at=NOW - timedelta(minutes=1))

    # when both are asked to be polled now
    count = dispatch.shipments_poll_now(shipment_ids=[dhl.pk, inpost.pk], now=NOW)

    # then InPost is due now and DHL when its 10-a-day quota allows
    dhl.refresh_from_db()
    inpost.refresh_from_db()
    assert count == 2
    assert inpost.next_poll_at == NOW
    assert dhl.next_poll_at == NOW - timedelta(hours=1) + timedelta(hours=2, minutes=24)


def test_the_dispatcher_beat_interval_is_read_from_settings_when_the_schedule_is_built(settings):
    # given a deployment that ticks every 5 seconds (the demo)
    from config.celery import beat_schedule

    settings.POLL_DISPATCH_SECONDS = 5.0

    # when the beat schedule is built
    entry = beat_schedule()["shipments-poll-dispatch"]

    # then the tick and its expiry follow the setting
    assert entry == {"task": "shipments.poll_dispatch", "schedule": 5.0, "options": {"expires": 5.0}}
