"""A poll batch applied in one transaction, a savepoint per shipment: each shipment atomic, one bad one alone rolled
back, the batch's reads done once and its orders touched once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carriers.types import ErrorKind, Status, TrackingError
from shipments.models import Order, Shipment, StatusChange, TrackingEvent
from shipments.tracking import shipment_apply_result, shipments_apply_results
from tests.factories import ShipmentFactory
from tests.shipments.factories import event, result

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def _parcels(count: int) -> list[Shipment]:
    parcels = [ShipmentFactory(next_poll_at=NOW + timedelta(minutes=10)) for _ in range(count)]
    Shipment.objects.filter(pk__in=[p.pk for p in parcels]).update(created_at=NOW - timedelta(days=2))
    return [Shipment.objects.get(pk=p.pk) for p in parcels]


def _moving(shipment: Shipment, *, text: str = "Przyjęta w oddziale"):
    return result(
        shipment.tracking_number,
        event(8, "CONFIRMED", Status.INFO_RECEIVED),
        event(10, "ADOPTED", Status.IN_TRANSIT, text=text),
    )


def test_one_bad_shipment_is_rolled_back_alone_and_the_others_commit(
    published, django_capture_on_commit_callbacks, caplog
):
    # given three parcels, the middle one's answer carrying a NUL byte PostgreSQL refuses to store
    first, bad, last = _parcels(3)
    versions = dict(Order.objects.values_list("pk", "version"))

    # when the batch is applied
    with django_capture_on_commit_callbacks(execute=True):
        reports = shipments_apply_results(
            outcomes=[
                (first.pk, _moving(first)),
                (bad.pk, _moving(bad, text="bad\x00text")),
                (last.pk, _moving(last)),
            ],
            source="poll",
            now=NOW,
        )

    # then the good ones stored their events, status, status change, order version and publishes
    assert [(r.shipment_id, r.status_changed, r.error_kind) for r in reports] == [
        (first.pk, True, ""),
        (bad.pk, False, "apply_failed"),
        (last.pk, True, ""),
    ]
    for good in (first, last):
        good.refresh_from_db()
        assert good.status == Status.IN_TRANSIT
        assert TrackingEvent.objects.filter(shipment=good).count() == 2
        assert Order.objects.get(pk=good.order_id).version == versions[good.order_id] + 1
    # and the bad one kept nothing of its answer: no event, no status change, no publish, its lease intact
    bad.refresh_from_db()
    assert (bad.status, bad.next_poll_at, bad.poll_count) == ("pending", NOW + timedelta(minutes=10), 0)
    assert not TrackingEvent.objects.filter(shipment=bad).exists()
    assert not StatusChange.objects.filter(shipment=bad).exists()
    assert Order.objects.get(pk=bad.order_id).version == versions[bad.order_id]
    # and each consumer got one task for the batch, with the good parcels' ids only
    changes = list(StatusChange.objects.order_by("pk").values_list("pk", flat=True))
    assert published == [
        ("notifications.process_status_changes", {"status_change_ids": changes}),
        ("api.status_change_webhooks_batch", {"status_change_ids": changes}),
        ("watchlist.evaluate_shipments", {"shipment_ids": [first.pk, last.pk]}),
        ("analytics.refresh_shipments", {"shipment_ids": [first.pk, last.pk]}),
    ]
    assert f"shipment {bad.pk}" in caplog.text


def test_the_batch_gives_the_same_result_as_one_by_one(published):
    # given two pairs of identical parcels with history: one pair applied one by one, the other as a batch
    alone, together = _parcels(2), _parcels(2)
    for shipment in (*alone, *together):
        shipment_apply_result(shipment_id=shipment.pk, outcome=_moving(shipment), source="poll", now=NOW)
    later = NOW + timedelta(hours=2)

    def answer(shipment):
        return result(
            shipment.tracking_number,
            event(8, "CONFIRMED", Status.INFO_RECEIVED),
            event(10, "ADOPTED", Status.IN_TRANSIT),
            event(13, "OUT", Status.OUT_FOR_DELIVERY),
        )

    # when the next answers arrive (one parcel moved on, the other's poll failed)
    one_by_one = [
        shipment_apply_result(shipment_id=alone[0].pk, outcome=answer(alone[0]), source="poll", now=later),
        shipment_apply_result(
            shipment_id=alone[1].pk, outcome=TrackingError(ErrorKind.TRANSIENT, "timeout"), source="poll", now=later
        ),
    ]
    batch = shipments_apply_results(
        outcomes=[
            (together[0].pk, answer(together[0])),
            (together[1].pk, TrackingError(ErrorKind.TRANSIENT, "timeout")),
        ],
        source="poll",
        now=later,
    )

    # then the reports and the stored rows agree
    def shape(reports):
        return [(r.new_events, r.status_changed, r.from_status, r.to_status, r.error_kind) for r in reports]

    def stored(shipment):
        shipment.refresh_from_db()
        return (
            shipment.status,
            shipment.poll_count,
            shipment.poll_errors,
            shipment.last_error_kind,
            TrackingEvent.objects.filter(shipment=shipment).count(),
            StatusChange.objects.filter(shipment=shipment).count(),
        )

    assert shape(batch) == shape(one_by_one)
    assert [stored(s) for s in together] == [stored(s) for s in alone]


def test_a_repeated_answer_in_one_batch_stores_its_events_once(published):
    # given one parcel whose answer arrives twice in the same batch (the same number polled twice)
    (shipment,) = _parcels(1)

    # when the batch is applied
    reports = shipments_apply_results(
        outcomes=[(shipment.pk, _moving(shipment)), (shipment.pk, _moving(shipment))], source="poll", now=NOW
    )

    # then the second saw the first's events: nothing new, no second status change
    assert [(r.new_events, r.status_changed) for r in reports] == [(2, True), (0, False)]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    assert StatusChange.objects.filter(shipment=shipment).count() == 1


def test_a_batch_reads_its_rows_once_not_per_shipment(published):
    # given a batch of ten parcels and a batch of twenty
    small, large = _parcels(10), _parcels(20)

    # when each is applied
    def statements(parcels):
        with CaptureQueriesContext(connection) as queries:
            shipments_apply_results(outcomes=[(p.pk, _moving(p)) for p in parcels], source="poll", now=NOW)
        sql = [query["sql"] for query in queries.captured_queries]
        reads = [s for s in sql if s.startswith("SELECT") and ("shipments_shipment" in s or "trackingevent" in s)]
        order_updates = [s for s in sql if s.startswith('UPDATE "shipments_order"')]
        return len(sql), len(reads), len(order_updates)

    small_total, small_reads, small_orders = statements(small)
    large_total, large_reads, large_orders = statements(large)

    # then the locks and stored events are read once per batch, the orders bumped once per batch, and the
    # per-shipment work stays a handful of statements
    assert (small_reads, large_reads) == (2, 2)
    assert (small_orders, large_orders) == (1, 1)
    assert (large_total - small_total) / 10 <= 5


def test_a_shipment_deleted_since_the_claim_is_reported_missing(published):
    (shipment,) = _parcels(1)
    gone = shipment.pk + 1000

    reports = shipments_apply_results(
        outcomes=[(gone, _moving(shipment)), (shipment.pk, _moving(shipment))], source="poll"
    )

    assert [(r.shipment_id, r.error_kind) for r in reports] == [(gone, "missing"), (shipment.pk, "")]


def test_a_batch_without_news_publishes_nothing(published, django_capture_on_commit_callbacks):
    # given a parcel whose answer was applied already
    (shipment,) = _parcels(1)
    shipments_apply_results(outcomes=[(shipment.pk, _moving(shipment))], source="poll", now=NOW)
    published.clear()

    # when the same answer comes again in a batch
    with django_capture_on_commit_callbacks(execute=True):
        shipments_apply_results(outcomes=[(shipment.pk, _moving(shipment))], source="poll", now=NOW)

    # then no consumer is woken
    assert published == []
