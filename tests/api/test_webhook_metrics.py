"""Webhook delivery attempts feed config.metrics: succeeded, retrying, and failed (gave up) are counted apart."""

import pytest
from django.utils import timezone

from api.models import WebhookDelivery
from api.services import webhook_deliveries_claim_due, webhook_delivery_attempt, webhook_events_for_status_change
from tests.api.test_webhooks import _send_claimed, delivered_change, endpoint  # noqa: F401 - fixtures
from tests.ops.samples import sample

pytestmark = pytest.mark.django_db


def test_each_attempt_is_counted_by_its_outcome(endpoint, delivered_change, receiver):  # noqa: F811
    # given two deliveries of one status change
    outcomes = ("succeeded", "retrying", "failed")
    before = {outcome: sample("parcelfront_webhook_deliveries_total", outcome=outcome) for outcome in outcomes}
    webhook_events_for_status_change(status_change_id=delivered_change.pk)
    first, second = WebhookDelivery.objects.order_by("pk")

    # when the receiver fails the first POST, takes the second, then answers the retry with 410 Gone
    receiver.statuses = [500, 200, 410]
    _send_claimed(first)
    _send_claimed(second)
    WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    (claim,) = webhook_deliveries_claim_due()
    webhook_delivery_attempt(delivery_id=claim[0], claim_token=claim[1])

    # then one of each outcome
    after = {outcome: sample("parcelfront_webhook_deliveries_total", outcome=outcome) for outcome in outcomes}
    assert {outcome: after[outcome] - before[outcome] for outcome in outcomes} == {
        "succeeded": 1,
        "retrying": 1,
        "failed": 1,
    }
