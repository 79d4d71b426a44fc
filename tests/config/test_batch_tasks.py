"""Batch tasks a poll batch publishes once: every consumer named in settings exists, runs each id as its single
task would, and sends an id that fails back alone to the single task (which has the retries)."""

from datetime import UTC, datetime

import pytest

from carriers.types import Status
from config.celery import app, run_each
from shipments.models import StatusChange
from tests.factories import ShipmentFactory, StatusChangeFactory
from tests.watchlist.helpers import parcel, scan, warsaw
from watchlist.models import Incident

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def test_every_batch_task_named_in_settings_is_registered(settings):
    app.loader.import_default_modules()
    names = (*settings.STATUS_CHANGE_BATCH_TASKS, *settings.SHIPMENT_UPDATED_BATCH_TASKS)
    assert [name for name in names if name not in app.tasks] == []
    assert len(settings.STATUS_CHANGE_BATCH_TASKS) == len(settings.STATUS_CHANGE_TASKS)
    assert len(settings.SHIPMENT_UPDATED_BATCH_TASKS) == len(settings.SHIPMENT_UPDATED_TASKS)


def test_an_id_that_fails_is_published_alone_and_the_others_still_run(published):
    # given a run that fails for the second id
    ran: list[int] = []

    def run(item_id: int) -> None:
        if item_id == 2:
            raise RuntimeError("database went away")
        ran.append(item_id)

    # when the batch runs
    done = run_each([1, 2, 3], run=run, single_task="watchlist.evaluate_shipment", key="shipment_id")

    # then the others ran and the failed one went to its single task, alone
    assert (done, ran) == (2, [1, 3])
    assert published == [("watchlist.evaluate_shipment", {"shipment_id": 2})]


@pytest.mark.django_db
def test_notifications_process_a_batch_of_status_changes(published):
    from notifications.tasks import process_status_changes

    # given two unprocessed status changes
    changes = [
        StatusChangeFactory(shipment=ShipmentFactory(status="in_transit"), to_status="in_transit", occurred_at=NOW)
        for _ in range(2)
    ]

    # when the batch task runs with both and an id that no longer exists
    done = process_status_changes(status_change_ids=[changes[0].pk, changes[1].pk, changes[1].pk + 1000])

    # then both were processed (a missing row is nothing to do, not an error)
    assert done == 3
    assert StatusChange.objects.filter(processed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_api_turns_a_batch_of_status_changes_into_webhook_events(published):
    from api.tasks import status_change_webhooks_batch

    change = StatusChangeFactory(shipment=ShipmentFactory(status="in_transit"), to_status="in_transit", occurred_at=NOW)

    assert status_change_webhooks_batch(status_change_ids=[change.pk]) == 1
    assert published == []


@pytest.mark.django_db
def test_the_watchlist_evaluates_a_batch_of_parcels(shop, published, time_machine):
    from watchlist.tasks import evaluate_shipments

    # given a parcel stalled since Monday, and an id that no longer exists
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    time_machine.move_to(warsaw(2026, 11, 5, 16, 0), tick=False)

    # when the batch task runs
    done = evaluate_shipments(shipment_ids=[moving.pk, moving.pk + 1000])

    # then the stalled incident opened
    assert done == 2
    assert list(Incident.objects.values_list("incident_type", flat=True)) == ["stalled"]
