"""End to end: a carrier result changes a shipment's status → shipments publishes by name → signed webhook."""

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from api.models import DeliveryStatus, WebhookDelivery
from api.services import webhook_endpoint_create
from carriers.types import Status, TrackingEvent, TrackingResult
from config.celery import app
from shipments.tracking import shipment_apply_result
from tests.factories import ShipmentFactory


@pytest.fixture
def tasks_run_inline(monkeypatch):
    """Run tasks published by name (and their follow-ups) in-process, as a worker would."""
    app.loader.import_default_modules()

    def send_task(name, args=None, kwargs=None, **options):
        if name in app.tasks and name.startswith("api."):
            app.tasks[name].apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(app, "send_task", send_task)


def test_the_task_named_in_settings_is_registered(settings, db):
    app.loader.import_default_modules()
    assert "api.status_change_webhooks" in settings.STATUS_CHANGE_TASKS
    assert "api.status_change_webhooks" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_delivered_result_reaches_the_endpoint_signed(shop, receiver, tasks_run_inline):
    # given
    endpoint = webhook_endpoint_create(shop=shop, url=receiver.url, event_types=["shipment.delivered"])
    shipment = ShipmentFactory(order__shop=shop, status="out_for_delivery", carrier="inpost")
    delivered = TrackingResult(
        carrier="inpost",
        tracking_number=shipment.tracking_number,
        events=(
            TrackingEvent(
                occurred_at=datetime(2026, 11, 4, 12, tzinfo=UTC),
                status=Status.DELIVERED,
                reason="",
                raw_code="delivered",
                text="Dostarczona",
            ),
        ),
        status=Status.DELIVERED,
        is_final=True,
    )
    # when
    report = shipment_apply_result(shipment_id=shipment.pk, outcome=delivered, source="poll")
    # then
    assert report.status_changed
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert payload["type"] == "shipment.delivered"
    assert payload["data"]["from_status"] == "out_for_delivery"
    assert payload["data"]["to_status"] == "delivered"
