"""From a status change to messages: which apply, when they go, collapsing, skips and the sweeper."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from campaigns.placements import CampaignSend
from notifications import outbox, tasks
from notifications.models import Message, MessageStatus
from tests.factories import StatusChangeFactory
from tests.notifications.conftest import NOW, make_change

pytestmark = pytest.mark.django_db


def test_status_change_creates_one_transactional_message_and_marks_processed(clock, shipment, settings_row):
    # given
    change = make_change(shipment, to_status="out_for_delivery")
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    outbox.status_change_process(status_change_id=change.pk)
    # then
    message = Message.objects.get(status_change=change)
    assert due_ids == [message.pk]
    assert message.status == MessageStatus.QUEUED
    assert message.campaign_key == 0
    assert message.to_email == "anna@example.com"
    assert message.language == "pl"
    assert message.send_after == NOW
    change.refresh_from_db()
    assert change.processed_at == NOW


def test_disabled_status_is_recorded_as_skipped_and_not_due(clock, shipment, settings_row):
    # given
    settings_row.email_statuses = ["delivered"]
    settings_row.save()
    change = make_change(shipment, to_status="out_for_delivery")
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then
    message = Message.objects.get(status_change=change)
    assert due_ids == []
    assert message.status == MessageStatus.SKIPPED
    assert message.reason == "The shop does not email the status out_for_delivery"


def test_transition_older_than_the_max_age_sends_nothing(clock, shipment, settings_row):
    # given
    change = make_change(shipment, to_status="out_for_delivery", occurred_at=NOW - timedelta(hours=49))
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=change).reason == "The transition is older than 48 hours"


def test_shipment_imported_already_delivered_sends_nothing(clock, shipment, settings_row):
    # given: the very first change of the parcel is straight to a final status
    change = StatusChangeFactory(shipment=shipment, from_status="pending", to_status="delivered", occurred_at=NOW)
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=change).reason == "The shipment was imported already delivered"


def test_daily_cap_per_shipment(clock, shipment, settings_row):
    # given
    settings_row.daily_cap_per_shipment = 1
    settings_row.save()
    first = make_change(shipment, to_status="out_for_delivery")
    outbox.status_change_process(status_change_id=first.pk)
    second = make_change(shipment, to_status="available_for_pickup", from_status="out_for_delivery")
    # when
    due_ids = outbox.status_change_process(status_change_id=second.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=second).reason == "Daily cap of 1 emails for this parcel reached"


def test_non_urgent_status_waits_for_the_settle_window(clock, shipment, settings_row):
    # given
    settings_row.settle_seconds = 90
    settings_row.save()
    change = make_change(shipment, to_status="failed_attempt", from_status="out_for_delivery")
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=change).send_after == NOW + timedelta(seconds=90)


def test_quiet_hours_delay_non_urgent_mail_to_their_end_in_the_customers_timezone(shipment, settings_row):
    # given: 22:30 in Warsaw (21:30 UTC), quiet from 21:00 to 08:00
    settings_row.quiet_hours_start, settings_row.quiet_hours_end = time(21, 0), time(8, 0)
    settings_row.save()
    change = make_change(shipment, to_status="failed_attempt", occurred_at=datetime(2026, 11, 4, 21, 30, tzinfo=UTC))
    # when
    outbox.status_change_process(status_change_id=change.pk, now=datetime(2026, 11, 4, 21, 30, tzinfo=UTC))
    # then: 08:00 Warsaw on the next day is 07:00 UTC
    assert Message.objects.get(status_change=change).send_after == datetime(2026, 11, 5, 7, 0, tzinfo=UTC)


def test_urgent_status_goes_at_once_even_in_quiet_hours(shipment, settings_row):
    # given
    settings_row.quiet_hours_start, settings_row.quiet_hours_end = time(21, 0), time(8, 0)
    settings_row.save()
    night = datetime(2026, 11, 4, 21, 30, tzinfo=UTC)
    change = make_change(shipment, to_status="available_for_pickup", occurred_at=night)
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk, now=night)
    # then
    assert Message.objects.get(status_change=change).send_after == night
    assert len(due_ids) == 1


def test_rapid_transitions_collapse_into_one_email_about_the_latest_status(clock, shipment, settings_row):
    # given
    settings_row.settle_seconds = 120
    settings_row.save()
    first = make_change(shipment, to_status="in_transit", from_status="info_received")
    outbox.status_change_process(status_change_id=first.pk)
    second = make_change(shipment, to_status="failed_attempt", from_status="in_transit")
    # when
    outbox.status_change_process(status_change_id=second.pk)
    # then
    older, newer = Message.objects.get(status_change=first), Message.objects.get(status_change=second)
    assert older.status == MessageStatus.SUPERSEDED
    assert older.reason == "Superseded by the newer status failed_attempt"
    assert newer.status == MessageStatus.QUEUED


def test_late_processing_of_an_older_change_is_superseded_by_the_newer(clock, shipment, settings_row):
    # given: the newer change was processed first (the older one was found later by the sweeper)
    older = make_change(shipment, to_status="in_transit", from_status="info_received")
    newer = make_change(shipment, to_status="out_for_delivery", from_status="in_transit")
    outbox.status_change_process(status_change_id=newer.pk)
    # when
    due_ids = outbox.status_change_process(status_change_id=older.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=older).status == MessageStatus.SUPERSEDED


def test_campaign_sends_create_their_own_message_with_consent(clock, shipment, settings_row, monkeypatch):
    # given
    monkeypatch.setattr(
        outbox, "campaign_dispatches_claim", lambda status_change: [CampaignSend(campaign_id=7, variant="B")]
    )
    change = make_change(shipment, to_status="delivered", from_status="out_for_delivery")
    # when
    outbox.status_change_process(status_change_id=change.pk)
    # then
    campaign = Message.objects.get(status_change=change, campaign_key=7)
    assert (campaign.campaign_id, campaign.variant, campaign.status) == (7, "B", MessageStatus.QUEUED)
    assert Message.objects.filter(status_change=change).count() == 2


def test_campaign_sends_are_queued_as_campaigns_chose_them(clock, shipment, settings_row, monkeypatch):
    # given campaigns (which applies each campaign's audience and consent rule) returns one send
    shipment.order.email_marketing_consent = False
    shipment.order.save()
    monkeypatch.setattr(
        outbox, "campaign_dispatches_claim", lambda status_change: [CampaignSend(campaign_id=7, variant="B")]
    )
    change = make_change(shipment, to_status="delivered", from_status="out_for_delivery")
    # when
    outbox.status_change_process(status_change_id=change.pk)
    outbox.status_change_process(status_change_id=change.pk)
    # then one campaign message besides the transactional one, not two
    campaign = Message.objects.get(status_change=change, campaign_key=7)
    assert (campaign.status, campaign.variant, campaign.campaign_id) == (MessageStatus.QUEUED, "B", 7)
    assert Message.objects.filter(status_change=change).count() == 2


def test_delayed_campaign_message_is_created_once_and_due_at_once(clock, shipment, settings_row):
    # given a delayed campaign came due for a processed status change (campaigns publishes this task by name)
    change = make_change(shipment, to_status="delivered", from_status="out_for_delivery")
    # when the task runs twice (redelivery)
    for _ in range(2):
        tasks.send_campaign_message(status_change_id=change.pk, campaign_id=9, variant="A")
    # then exactly one message exists for (status change, campaign)
    message = Message.objects.get(status_change=change, campaign_key=9)
    assert (message.status, message.variant, message.campaign_id) == (MessageStatus.QUEUED, "A", 9)
    assert message.released_at is not None


def test_delayed_campaign_message_for_a_missing_status_change_does_nothing(clock, db):
    assert outbox.campaign_message_enqueue(status_change_id=987654, campaign_id=1, variant="A") == []
    assert Message.objects.count() == 0


def test_sweeper_republishes_only_unprocessed_changes_older_than_a_minute(clock, shipment, published):
    # given
    stale = make_change(shipment)
    type(stale).objects.filter(pk=stale.pk).update(created_at=NOW - timedelta(minutes=5))
    fresh = make_change(shipment, to_status="delivered")
    # when
    count = tasks.sweep_status_changes()
    # then
    assert count == 1
    assert published == [("notifications.process_status_change", {"status_change_id": stale.pk})]
    assert ("notifications.process_status_change", {"status_change_id": fresh.pk}) not in published


def test_release_tick_publishes_due_messages_once_per_lease(clock, shipment, settings_row, monkeypatch):
    # given
    settings_row.settle_seconds = 60
    settings_row.save()
    change = make_change(shipment, to_status="failed_attempt")
    outbox.status_change_process(status_change_id=change.pk)
    message = Message.objects.get(status_change=change)
    # when / then: not due yet
    assert outbox.messages_release_due() == []
    clock.shift(timedelta(seconds=61))
    assert outbox.messages_release_due() == [message.pk]
    assert outbox.messages_release_due() == []


def test_entry_point_task_is_registered_by_the_agreed_name():
    from config.celery import app

    assert app.tasks["notifications.process_status_change"].name == tasks.process_status_change.name
    assert app.amqp.router.route({}, "notifications.process_status_change")["queue"].name == "emails"


def test_tasks_end_to_end_send_one_email_per_status_change(
    clock, shipment, settings_row, published, django_capture_on_commit_callbacks
):
    # given
    from django.core import mail

    change = make_change(shipment, to_status="out_for_delivery")
    # when: the entry point runs twice (a redelivery), then every published send runs
    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_status_change.run(change.pk)
        tasks.process_status_change.run(change.pk)
    for _, kwargs in published:
        tasks.send_message.apply(kwargs=kwargs)
    # then: both runs publish the due message (the first publish may have been lost); one email goes
    message = Message.objects.get(status_change=change)
    assert published == [("notifications.send_message", {"message_id": message.pk})] * 2
    assert len(mail.outbox) == 1
    assert message.status == MessageStatus.SENT


def _reason_change(shipment, reason):
    make_change(shipment, to_status="in_transit", from_status="info_received")
    return StatusChangeFactory(
        shipment=shipment, from_status="in_transit", to_status="in_transit", reason=reason, occurred_at=NOW
    )


def test_an_enabled_reason_in_the_same_status_emails_once(clock, shipment, settings_row):
    # given the default reasons and a customs hold within in transit
    assert settings_row.reason_emails == ["customs", "address_problem", "delayed"]
    settings_row.email_statuses = ["delivered"]
    settings_row.save()
    change = _reason_change(shipment, "customs")
    # when the change is processed twice
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    outbox.status_change_process(status_change_id=change.pk)
    # then one email is due, although the shop does not email the status in_transit itself
    message = Message.objects.get(status_change=change)
    assert due_ids == [message.pk]
    assert (message.status, message.to_status, message.campaign_key) == (MessageStatus.QUEUED, "in_transit", 0)
    assert Message.objects.filter(shipment=shipment).count() == 1


def test_a_reason_the_shop_did_not_enable_emails_nothing(clock, shipment, settings_row):
    # given a shop that emails in_transit, but a reason it did not choose
    assert "in_transit" in settings_row.email_statuses
    change = _reason_change(shipment, "redirected")
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then the message is recorded as skipped, never due
    message = Message.objects.get(status_change=change)
    assert due_ids == []
    assert message.status == MessageStatus.SKIPPED
    assert message.reason == "The shop does not email the reason redirected"
    assert Message.objects.filter(shipment=shipment, status=MessageStatus.QUEUED).count() == 0


def test_a_shop_can_switch_a_default_reason_off(clock, shipment, settings_row):
    # given
    settings_row.reason_emails = ["customs"]
    settings_row.save()
    change = _reason_change(shipment, "delayed")
    # when
    due_ids = outbox.status_change_process(status_change_id=change.pk)
    # then
    assert due_ids == []
    assert Message.objects.get(status_change=change).reason == "The shop does not email the reason delayed"


def test_reason_emails_accepts_only_known_reason_codes(settings_row):
    # given a reason no carrier adapter produces
    settings_row.reason_emails = ["customs", "stuck"]
    # when / then
    with pytest.raises(ValidationError) as raised:
        settings_row.clean()
    assert list(raised.value.message_dict) == ["reason_emails"]
