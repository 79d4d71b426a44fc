"""Outgoing webhooks: fan-out from status changes, Standard Webhooks signatures, retries, disabling."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from api.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from api.services import (
    MAX_ATTEMPTS,
    webhook_deliveries_claim_due,
    webhook_deliveries_redeliver,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_enable,
    webhook_events_for_status_change,
    webhook_test_send,
)
from api.tasks import status_change_webhooks, webhook_sweep
from tests.factories import ShipmentFactory, StatusChangeFactory

ALL_SHIPMENT_EVENTS = ["shipment.status_changed", "shipment.delivered", "shipment.exception"]


def _send_claimed(delivery):
    delivery.refresh_from_db()
    return webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=delivery.claim_token)


@pytest.fixture
def endpoint(shop, receiver):
    return webhook_endpoint_create(shop=shop, url=receiver.url, event_types=ALL_SHIPMENT_EVENTS)


@pytest.fixture
def delivered_change(shop):
    shipment = ShipmentFactory(order__shop=shop, status="delivered")
    return StatusChangeFactory(shipment=shipment, from_status="out_for_delivery", to_status="delivered")


def test_status_change_makes_one_event_per_type_and_one_delivery_each(endpoint, delivered_change):
    # when
    events = webhook_events_for_status_change(status_change_id=delivered_change.pk)
    # then
    assert sorted(event.event_type for event in events) == ["shipment.delivered", "shipment.status_changed"]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
    payload = events[0].payload
    assert payload["data"]["to_status"] == "delivered"
    assert payload["data"]["order"]["number"] == delivered_change.shipment.order.number


def test_status_change_task_is_idempotent(endpoint, delivered_change):
    # when
    status_change_webhooks(delivered_change.pk)
    status_change_webhooks(delivered_change.pk)
    # then
    assert WebhookEvent.objects.count() == 2
    assert WebhookDelivery.objects.count() == 2


def test_endpoint_receives_only_chosen_types(shop, receiver, delivered_change):
    # given
    endpoint = webhook_endpoint_create(shop=shop, url=receiver.url, event_types=["shipment.delivered"])
    # when
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    # then
    assert list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("event__event_type", flat=True)) == [
        "shipment.delivered"
    ]


def test_other_shops_endpoint_gets_nothing(other_shop, receiver, delivered_change):
    # given
    webhook_endpoint_create(shop=other_shop, url=receiver.url, event_types=ALL_SHIPMENT_EVENTS)
    # when
    events = webhook_events_for_status_change(status_change_id=delivered_change.pk)
    # then
    assert events == []
    assert WebhookDelivery.objects.count() == 0


def test_delivery_is_signed_verifiably_with_standardwebhooks(endpoint, delivered_change, receiver):
    # given
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    # when
    result = _send_claimed(delivery)
    # then
    assert result.succeeded
    request = receiver.requests[0]
    verified = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert verified["type"] == "shipment.delivered"
    assert verified["data"]["shipment"]["tracking_number"] == delivered_change.shipment.tracking_number
    assert request["headers"]["webhook-id"] == delivery.event.event_id
    assert request["headers"]["webhook-signature"].startswith("v1,")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1


def test_wrong_secret_fails_verification(endpoint, delivered_change, receiver):
    # given
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    _send_claimed(WebhookDelivery.objects.first())
    request = receiver.requests[0]
    other = webhook_endpoint_create(shop=endpoint.shop, url=receiver.url, event_types=ALL_SHIPMENT_EVENTS)
    # when / then
    with pytest.raises(Exception, match="signature"):
        Webhook(other.secret).verify(request["body"], request["headers"])


def test_secret_has_standard_webhooks_form(endpoint):
    assert endpoint.secret.startswith("whsec_")
    Webhook(endpoint.secret)  # decodes as base64


def test_claim_is_consumed_once(endpoint, delivered_change, receiver):
    # given
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.first()
    token = delivery.claim_token
    # when
    first = webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=token)
    second = webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=token)
    # then
    assert first.succeeded
    assert second is None
    assert len(receiver.requests) == 1


def test_succeeded_delivery_is_never_sent_again(endpoint, delivered_change, receiver):
    # given
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.first()
    _send_claimed(delivery)
    # when
    redelivered = webhook_deliveries_redeliver(deliveries=WebhookDelivery.objects.filter(pk=delivery.pk))
    claimed = webhook_deliveries_claim_due()
    # then
    assert redelivered == 0
    assert delivery.pk not in [delivery_id for delivery_id, _ in claimed]
    assert len(receiver.requests) == 1


def test_5xx_is_retried_with_growing_delays(endpoint, delivered_change, receiver):
    # given
    receiver.statuses = [500, 503]
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    # when
    first = _send_claimed(delivery)
    delivery.refresh_from_db()
    first_due = delivery.next_attempt_at - delivery.last_attempt_at
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert delivery.pk in [delivery_id for delivery_id, _ in webhook_deliveries_claim_due()]
        second = _send_claimed(delivery)
    delivery.refresh_from_db()
    second_due = delivery.next_attempt_at - delivery.last_attempt_at
    # then
    assert (first.status_code, second.status_code) == (500, 503)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 2
    assert timedelta(seconds=4) <= first_due <= timedelta(seconds=6)
    assert timedelta(minutes=4) <= second_due <= timedelta(minutes=6)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_not_yet_due_delivery_is_not_claimed(endpoint, delivered_change, receiver):
    # given
    receiver.statuses = [500]
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    _send_claimed(delivery)
    # when
    claimed = webhook_deliveries_claim_due()
    # then
    assert delivery.pk not in [delivery_id for delivery_id, _ in claimed]


def test_persistent_failure_gives_up_after_about_a_day_and_disables_endpoint(endpoint, delivered_change, receiver):
    # given
    receiver.statuses = [500] * MAX_ATTEMPTS
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    started = timezone.now()
    # when
    with time_machine.travel(started, tick=False) as clock:
        for _ in range(MAX_ATTEMPTS):
            delivery.refresh_from_db()
            clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))
            webhook_deliveries_claim_due()
            _send_claimed(delivery)
        finished = timezone.now()
    # then
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert timedelta(hours=22) < finished - started < timedelta(hours=32)
    assert endpoint.is_active is False
    assert "failed" in endpoint.disabled_reason
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_disabled_endpoint_gets_nothing_until_enabled(endpoint, delivered_change, receiver):
    # given
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    endpoint.is_active = False
    endpoint.save()
    delivery = WebhookDelivery.objects.first()
    # when
    result = _send_claimed(delivery)
    # then
    assert result is None
    assert receiver.requests == []
    # when enabled again, the pending delivery goes out
    webhook_endpoint_enable(endpoint=endpoint)
    claims = dict(webhook_deliveries_claim_due())
    assert webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=claims[delivery.pk]).succeeded


def test_410_gone_stops_and_disables(endpoint, delivered_change, receiver):
    # given
    receiver.statuses = [410]
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    # when
    _send_claimed(delivery)
    # then
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert endpoint.is_active is False


def test_redeliver_failed_delivery_sends_again(endpoint, delivered_change, receiver):
    # given
    receiver.statuses = [410]
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    delivery = WebhookDelivery.objects.get(event__event_type="shipment.delivered")
    _send_claimed(delivery)
    webhook_endpoint_enable(endpoint=endpoint)
    # when
    queued = webhook_deliveries_redeliver(deliveries=WebhookDelivery.objects.filter(pk=delivery.pk))
    result = _send_claimed(delivery)
    # then
    assert queued == 1
    assert result.succeeded
    assert [request["headers"]["webhook-id"] for request in receiver.requests] == [delivery.event.event_id] * 2


def test_sweeper_makes_events_for_missed_status_changes(endpoint, shop):
    # given a status change whose task was lost (broker down)
    shipment = ShipmentFactory(order__shop=shop)
    change = StatusChangeFactory(shipment=shipment)
    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        outcome = webhook_sweep()
    # then
    assert outcome["status_changes"] == 1
    assert WebhookEvent.objects.filter(status_change=change).count() == 1


def test_sweeper_ignores_changes_older_than_the_endpoint(shop, receiver):
    # given
    change = StatusChangeFactory(shipment=ShipmentFactory(order__shop=shop))
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        webhook_endpoint_create(shop=shop, url=receiver.url, event_types=ALL_SHIPMENT_EVENTS)
        # when
        outcome = webhook_sweep()
    # then
    assert outcome["status_changes"] == 0
    assert not WebhookEvent.objects.filter(status_change=change).exists()


def test_test_event_goes_to_one_endpoint(endpoint, receiver, shop):
    # given
    webhook_endpoint_create(shop=shop, url=receiver.url + "/other", event_types=ALL_SHIPMENT_EVENTS)
    # when
    event = webhook_test_send(endpoint=endpoint)
    _send_claimed(WebhookDelivery.objects.get(event=event))
    # then
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert json.loads(receiver.requests[0]["body"])["type"] == "webhook.test"


def _bounced_message(shop, bounced_at):
    from notifications.models import Message

    change = StatusChangeFactory(shipment=ShipmentFactory(order__shop=shop))
    return Message.objects.create(
        shop=shop,
        trigger_kind="status_change",
        trigger_id=change.pk,
        status_change=change,
        order=change.shipment.order,
        shipment=change.shipment,
        to_status=change.to_status,
        to_email="anna@example.com",
        language="pl",
        send_after=bounced_at,
        status="sent",
        bounced_at=bounced_at,
    )


def test_bounced_message_makes_one_message_bounced_event(shop, receiver):
    # given
    endpoint = webhook_endpoint_create(shop=shop, url=receiver.url, event_types=["message.bounced"])
    message = _bounced_message(shop, timezone.now() + timedelta(seconds=1))
    # when
    webhook_sweep()
    webhook_sweep()
    # then
    event = WebhookEvent.objects.get(event_type="message.bounced")
    assert event.payload["data"]["message_id"] == message.pk
    assert event.payload["data"]["to_email"] == "anna@example.com"
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event=event).count() == 1


def test_bounce_without_subscribed_endpoint_makes_nothing(shop, receiver):
    webhook_endpoint_create(shop=shop, url=receiver.url, event_types=["shipment.delivered"])
    _bounced_message(shop, timezone.now() + timedelta(seconds=1))
    webhook_sweep()
    assert not WebhookEvent.objects.filter(event_type="message.bounced").exists()


def test_unknown_event_type_is_refused(shop):
    from api.services import webhook_event_emit

    with pytest.raises(ValueError, match="unknown webhook event type"):
        webhook_event_emit(shop=shop, event_type="order.teleported", data={}, dedupe_key="x")
    assert not WebhookEvent.objects.exists()


def test_a_reason_only_change_makes_status_changed_alone_with_its_reason(endpoint, shop):
    # given an exception whose reason moved from an address problem to a refusal
    shipment = ShipmentFactory(order__shop=shop, status="exception", reason="refused")
    change = StatusChangeFactory(shipment=shipment, from_status="exception", to_status="exception", reason="refused")
    # when
    events = webhook_events_for_status_change(status_change_id=change.pk)
    # then only shipment.status_changed goes out (shipment.exception went when the parcel entered it)
    assert [event.event_type for event in events] == ["shipment.status_changed"]
    data = events[0].payload["data"]
    assert (data["from_status"], data["to_status"], data["reason"]) == ("exception", "exception", "refused")
    assert data["shipment"]["reason"] == "refused"
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
