"""Applying carrier results: events, status rules, outbox, publishing, errors, unmapped codes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from carriers.types import ErrorKind, PickupPoint, ProofOfDelivery, Reason, Status, TrackingError
from config.celery import app, one_producer
from shipments.models import Shipment, StatusChange, TrackingEvent, UnmappedCode
from shipments.status_rules import status_from_events
from shipments.tracking import shipment_apply_result
from tests.factories import ShipmentFactory
from tests.shipments.factories import event, result

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
TASKS = ["notifications.process_status_change", "api.status_change_webhooks"]
UPDATED_TASKS = ["watchlist.evaluate_shipment", "analytics.refresh_shipment"]


@pytest.fixture
def shipment(db):
    shipment = ShipmentFactory(next_poll_at=NOW)
    Shipment.objects.filter(pk=shipment.pk).update(created_at=NOW - timedelta(days=2))
    shipment.refresh_from_db()
    return shipment


def apply(shipment, outcome, source="poll", now=NOW):
    return shipment_apply_result(shipment_id=shipment.pk, outcome=outcome, source=source, now=now)


def test_new_events_are_stored_status_changes_and_both_tasks_are_published_once(
    shipment, published, django_capture_on_commit_callbacks
):
    # given a pending shipment and a carrier answer with two events
    answer = result(
        shipment.tracking_number,
        event(8, "confirmed", Status.INFO_RECEIVED),
        event(10, "collected_from_sender", Status.IN_TRANSIT, reason=Reason.PICKED_UP),
    )
    version = shipment.order.version

    # when it is applied
    with django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, answer)

    # then the events, the status, one StatusChange and one publish per consumer task exist
    shipment.refresh_from_db()
    change = StatusChange.objects.get(shipment=shipment)
    assert (report.new_events, report.status_changed, report.status_change_id) == (2, True, change.pk)
    assert (shipment.status, shipment.reason) == ("in_transit", "picked_up")
    assert shipment.status_changed_at == datetime(2026, 11, 3, 10, tzinfo=UTC)
    assert (change.from_status, change.to_status, change.reason) == ("pending", "in_transit", "picked_up")
    assert change.occurred_at == datetime(2026, 11, 3, 10, tzinfo=UTC)
    assert published == [(name, {"status_change_id": change.pk}) for name in TASKS] + [
        (name, {"shipment_id": shipment.pk}) for name in UPDATED_TASKS
    ]
    assert list(shipment.events.values_list("raw_code", "text", "source")) == [
        ("confirmed", "text of confirmed", "poll"),
        ("collected_from_sender", "text of collected_from_sender", "poll"),
    ]
    assert (shipment.poll_count, shipment.last_polled_at, shipment.last_event_at) == (
        1,
        NOW,
        datetime(2026, 11, 3, 10, tzinfo=UTC),
    )
    shipment.order.refresh_from_db()
    assert shipment.order.version == version + 1


def test_repeating_the_same_answer_changes_nothing(shipment, published, django_capture_on_commit_callbacks):
    # given an answer already applied
    answer = result(shipment.tracking_number, event(8, "confirmed", Status.INFO_RECEIVED))
    with django_capture_on_commit_callbacks(execute=True):
        apply(shipment, answer)
    published.clear()
    shipment.order.refresh_from_db()
    version = shipment.order.version

    # when the carrier says the same again
    with django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, answer, now=NOW + timedelta(hours=1))

    # then no event, no status change, no publish, and the page version stays
    assert (report.new_events, report.status_changed) == (0, False)
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert StatusChange.objects.filter(shipment=shipment).count() == 1
    assert published == []
    shipment.order.refresh_from_db()
    assert shipment.order.version == version


def test_an_older_event_arriving_late_does_not_move_the_status_back(shipment, published):
    # given the parcel is out for delivery
    apply(shipment, result(shipment.tracking_number, event(9, "out_for_delivery", Status.OUT_FOR_DELIVERY)))

    # when an earlier sorting scan arrives afterwards
    report = apply(shipment, result(shipment.tracking_number, event(6, "sorting", Status.IN_TRANSIT)))

    # then it is stored in time order and the status stays
    shipment.refresh_from_db()
    assert (report.new_events, report.status_changed) == (1, False)
    assert shipment.status == "out_for_delivery"
    assert list(shipment.events.values_list("raw_code", flat=True)) == ["sorting", "out_for_delivery"]


def test_delivered_never_falls_back_to_in_transit(shipment, published):
    # given a delivered parcel
    apply(shipment, result(shipment.tracking_number, event(9, "delivered", Status.DELIVERED)))

    # when a later forward-leg scan arrives (a late hub scan, a duplicate label)
    report = apply(shipment, result(shipment.tracking_number, event(11, "sorting", Status.IN_TRANSIT)))

    # then the parcel stays delivered, with its delivery time and no new change
    shipment.refresh_from_db()
    assert (report.new_events, report.status_changed) == (1, False)
    assert (shipment.status, shipment.delivered_at, shipment.next_poll_at) == (
        "delivered",
        datetime(2026, 11, 3, 9, tzinfo=UTC),
        None,
    )
    assert list(StatusChange.objects.filter(shipment=shipment).values_list("to_status", flat=True)) == ["delivered"]


def test_return_leg_is_its_own_status_and_a_delivery_back_is_returned():
    # given stored events of a parcel sent back after its pickup expired
    events = [
        ("available_for_pickup", "", datetime(2026, 11, 3, 8, tzinfo=UTC)),
        ("exception", "pickup_expired", datetime(2026, 11, 5, 8, tzinfo=UTC)),
        ("returning_to_sender", "", datetime(2026, 11, 5, 9, tzinfo=UTC)),
        ("in_transit", "", datetime(2026, 11, 5, 12, tzinfo=UTC)),
        ("out_for_delivery", "", datetime(2026, 11, 6, 7, tzinfo=UTC)),
    ]

    # when the status is derived before and after the final delivery back to the sender
    on_the_way_back = status_from_events(events, current="pending")
    handed_back = status_from_events([*events, ("delivered", "", datetime(2026, 11, 6, 9, tzinfo=UTC))], current="x")

    # then the trip back keeps returning_to_sender and the delivery back is returned_to_sender
    assert on_the_way_back.status == "returning_to_sender"
    assert on_the_way_back.occurred_at == datetime(2026, 11, 5, 9, tzinfo=UTC)
    assert handed_back.status == "returned_to_sender"


def test_unmapped_events_keep_the_status_and_are_counted_once_per_new_event(shipment, published):
    # given an in-transit parcel
    apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)))
    answer = result(
        shipment.tracking_number,
        event(8, "sorting", Status.IN_TRANSIT),
        event(9, "weird_code", None, text="Paczka w podróży", mapped=False),
    )

    # when an unknown code arrives twice (the second time as a repeat)
    apply(shipment, answer)
    apply(shipment, answer)

    # then it is stored unmapped, the status stays, and it is counted once with its example text
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    stored = shipment.events.get(raw_code="weird_code")
    assert (stored.status, stored.mapped, stored.text) == ("", False, "Paczka w podróży")
    code = UnmappedCode.objects.get()
    assert (code.carrier, code.raw_code, code.example_text, code.count) == (
        "inpost",
        "weird_code",
        "Paczka w podróży",
        1,
    )


def test_result_fields_eta_pickup_point_pod_and_service_are_stored(shipment, published):
    # given an answer with every optional field
    answer = result(
        shipment.tracking_number,
        event(8, "ready_to_pickup", Status.AVAILABLE_FOR_PICKUP),
        eta_from=datetime(2026, 11, 5, 8, tzinfo=UTC),
        eta_to=datetime(2026, 11, 5, 12, tzinfo=UTC),
        pickup_point=PickupPoint(id="KRA01M", name="KRA01M", city="Kraków", latitude=50.0),
        proof_of_delivery=ProofOfDelivery(signed_by="A. Nowak", timestamp=datetime(2026, 11, 5, 9, tzinfo=UTC)),
        service="inpost_locker_standard",
    )

    # when applied
    apply(shipment, answer)

    # then they are on the shipment
    shipment.refresh_from_db()
    assert (shipment.eta_from, shipment.eta_to) == (
        datetime(2026, 11, 5, 8, tzinfo=UTC),
        datetime(2026, 11, 5, 12, tzinfo=UTC),
    )
    assert shipment.pickup_point["id"] == "KRA01M"
    assert shipment.pickup_point["city"] == "Kraków"
    assert shipment.proof_of_delivery == {
        "signed_by": "A. Nowak",
        "timestamp": "2026-11-05T09:00:00+00:00",
        "signature_url": "",
    }
    assert shipment.service == "inpost_locker_standard"


def test_nothing_is_published_when_the_transaction_rolls_back(shipment, published, django_capture_on_commit_callbacks):
    # given an apply inside an outer transaction that then fails
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        apply(shipment, result(shipment.tracking_number, event(8, "delivered", Status.DELIVERED)))
        raise RuntimeError("boom")

    # then nothing was stored or published
    shipment.refresh_from_db()
    assert shipment.status == "pending"
    assert StatusChange.objects.count() == 0
    assert TrackingEvent.objects.count() == 0
    assert published == []


def test_a_broker_error_on_publish_is_swallowed(shipment, monkeypatch, django_capture_on_commit_callbacks):
    # given a broker that is down
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "send_task", broken)

    # when a status change commits
    with django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, result(shipment.tracking_number, event(8, "delivered", Status.DELIVERED)))

    # then the change is stored for the consumers' sweepers
    assert report.status_changed is True
    assert StatusChange.objects.filter(shipment=shipment, processed_at=None).count() == 1


def test_an_error_is_recorded_and_keeps_stored_events_and_status(shipment, published):
    # given an in-transit parcel
    apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)))

    # when the next poll times out with a Retry-After
    error = TrackingError(ErrorKind.TRANSIENT, "InPost timed out", retry_after=900)
    report = apply(shipment, error, now=NOW + timedelta(hours=3))

    # then the error is recorded, nothing is lost, and the retry honours Retry-After
    shipment.refresh_from_db()
    assert (report.error_kind, report.status_changed) == ("transient", False)
    assert (shipment.status, shipment.events.count()) == ("in_transit", 1)
    assert (shipment.last_error, shipment.last_error_kind, shipment.last_error_at, shipment.poll_errors) == (
        "InPost timed out",
        "transient",
        NOW + timedelta(hours=3),
        1,
    )
    assert NOW + timedelta(hours=3, minutes=15) <= shipment.next_poll_at <= NOW + timedelta(hours=3, minutes=17)


def test_a_good_answer_clears_the_error(shipment, published):
    # given a failed poll
    apply(shipment, TrackingError(ErrorKind.CARRIER_ERROR, "malformed InPost response"))

    # when the next poll succeeds
    apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)))

    # then the error is gone
    shipment.refresh_from_db()
    assert (shipment.last_error, shipment.last_error_kind, shipment.last_error_at, shipment.poll_errors) == (
        "",
        "",
        None,
        0,
    )


def test_a_shipment_without_carrier_info_for_30_days_expires_with_a_status_change(
    shipment, published, django_capture_on_commit_callbacks
):
    # given a shipment the carrier has never known, added 31 days ago
    Shipment.objects.filter(pk=shipment.pk).update(created_at=NOW - timedelta(days=31))

    # when the carrier still says not found
    with django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, TrackingError(ErrorKind.NOT_FOUND, "not found"))

    # then it expires, is never polled again, and the change is published
    shipment.refresh_from_db()
    change = StatusChange.objects.get(shipment=shipment)
    assert (shipment.status, shipment.next_poll_at, report.status_changed) == ("expired", None, True)
    assert (change.from_status, change.to_status) == ("pending", "expired")
    assert published == [(name, {"status_change_id": change.pk}) for name in TASKS] + [
        (name, {"shipment_id": shipment.pk}) for name in UPDATED_TASKS
    ]


def test_a_push_does_not_count_as_a_poll(shipment, published):
    # when a push is applied
    apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)), source="push")

    # then the poll counters stay and the event says where it came from
    shipment.refresh_from_db()
    assert (shipment.poll_count, shipment.last_polled_at) == (0, None)
    assert shipment.events.get().source == "push"


def test_changes_committed_inside_one_producer_share_its_broker_connection(
    shipment, broker_log, django_capture_on_commit_callbacks
):
    # given a broker connection handed out once, and a broker that records which connection each publish used
    connection, sent = broker_log

    # when a change commits inside a batch's block
    with one_producer(), django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, result(shipment.tracking_number, event(8, "delivered", Status.DELIVERED)))

    # then one connection was taken and every consumer task went over it exactly once
    assert sent == [("acquired", None, None)] + [
        (name, {"status_change_id": report.status_change_id}, connection) for name in TASKS
    ] + [(name, {"shipment_id": shipment.pk}, connection) for name in UPDATED_TASKS]


def test_an_expired_parcel_is_revived_only_by_new_events(shipment, published):
    # given a parcel in transit that expired
    apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)))
    Shipment.objects.filter(pk=shipment.pk).update(status="expired", next_poll_at=None)

    # when the same event is pushed again, and then a delivery
    repeat = apply(shipment, result(shipment.tracking_number, event(8, "sorting", Status.IN_TRANSIT)), source="push")
    shipment.refresh_from_db()
    status_after_repeat = shipment.status
    news = apply(shipment, result(shipment.tracking_number, event(12, "delivered", Status.DELIVERED)), source="push")

    # then the repeat changes nothing and the delivery does
    assert (repeat.status_changed, status_after_repeat) == (False, "expired")
    assert (news.status_changed, news.from_status, news.to_status) == (True, "expired", "delivered")


def test_a_new_reason_in_the_same_status_is_recorded_once_as_a_reason_only_change(
    shipment, published, django_capture_on_commit_callbacks
):
    # given a parcel in transit
    moving = event(10, "collected_from_sender", Status.IN_TRANSIT)
    apply(shipment, result(shipment.tracking_number, moving))
    first = StatusChange.objects.get(shipment=shipment)
    published.clear()
    customs = result(shipment.tracking_number, moving, event(14, "customs_hold", Status.IN_TRANSIT, reason="customs"))

    # when the carrier reports a customs hold, and the same answer is polled twice more
    with django_capture_on_commit_callbacks(execute=True):
        report = apply(shipment, customs)
    with django_capture_on_commit_callbacks(execute=True):
        again = apply(shipment, customs, now=NOW + timedelta(hours=1))
    apply(shipment, customs, now=NOW + timedelta(hours=2))

    # then one reason-only StatusChange exists, published once; the status's own moment stays
    shipment.refresh_from_db()
    change = StatusChange.objects.exclude(pk=first.pk).get(shipment=shipment)
    assert (change.from_status, change.to_status, change.reason) == ("in_transit", "in_transit", "customs")
    assert change.reason_only is True
    assert change.occurred_at == datetime(2026, 11, 3, 14, tzinfo=UTC)
    assert (report.status_changed, report.status_change_id, report.from_status) == (True, change.pk, "in_transit")
    assert (again.status_changed, again.new_events) == (False, 0)
    assert (shipment.status, shipment.reason) == ("in_transit", "customs")
    assert shipment.status_changed_at == datetime(2026, 11, 3, 10, tzinfo=UTC)
    assert StatusChange.objects.filter(shipment=shipment).count() == 2
    assert published == [(name, {"status_change_id": change.pk}) for name in TASKS] + [
        (name, {"shipment_id": shipment.pk}) for name in UPDATED_TASKS
    ]


def test_a_reason_that_clears_is_no_transition(shipment, published):
    # given a parcel held at customs
    held = event(14, "customs_hold", Status.IN_TRANSIT, reason="customs")
    apply(shipment, result(shipment.tracking_number, held))
    changes = StatusChange.objects.filter(shipment=shipment).count()

    # when the next scan is in transit without a reason
    report = apply(shipment, result(shipment.tracking_number, held, event(18, "sorting", Status.IN_TRANSIT)))

    # then the reason clears, and no StatusChange is written for it
    shipment.refresh_from_db()
    assert (shipment.status, shipment.reason) == ("in_transit", "")
    assert report.status_changed is False
    assert StatusChange.objects.filter(shipment=shipment).count() == changes == 1
