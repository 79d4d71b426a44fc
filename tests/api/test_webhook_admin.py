"""Webhook admin: endpoints (owner only), the disabled notice, the delivery log and redeliver."""

import pytest
from django.test import Client
from django.urls import reverse

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.services import webhook_endpoint_create, webhook_endpoint_disable, webhook_test_send


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def endpoint(shop, receiver):
    return webhook_endpoint_create(shop=shop, url=receiver.url, event_types=["shipment.delivered"])


def test_owner_adds_endpoint_with_chosen_events(owner, shop, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = _client(owner).post(
        reverse("admin:api_webhookendpoint_add"),
        {
            "shop": shop.pk,
            "url": "https://hooks.example.com/in",
            "description": "",
            "event_types": ["shipment.exception"],
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["shipment.exception"]
    assert endpoint.secret.startswith("whsec_")


def test_admin_refuses_internal_url(owner, shop, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = _client(owner).post(
        reverse("admin:api_webhookendpoint_add"),
        {"shop": shop.pk, "url": "http://10.0.0.1/in", "event_types": ["shipment.exception"]},
    )
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_disabled_endpoint_shows_a_notice(owner, endpoint):
    webhook_endpoint_disable(endpoint=endpoint, reason="Every delivery attempt failed.")
    page = _client(owner).get(reverse("admin:api_webhookendpoint_changelist"))
    assert "are disabled since" in page.content.decode()


def test_marketer_cannot_see_endpoints(shop, marketer, endpoint):
    response = _client(marketer).get(reverse("admin:api_webhookendpoint_changelist"))
    assert response.status_code == 403


def test_redeliver_action_queues_failed_delivery(owner, endpoint):
    # given
    delivery = WebhookDelivery.objects.get(event=webhook_test_send(endpoint=endpoint))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=8)
    # when
    response = _client(owner).post(
        reverse("admin:api_webhookdelivery_changelist"), {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    # then
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert delivery.claim_token != ""


def test_support_reads_the_log_but_cannot_redeliver(shop, support, endpoint):
    # given
    delivery = WebhookDelivery.objects.get(event=webhook_test_send(endpoint=endpoint))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client = _client(support)
    # when
    listing = client.get(reverse("admin:api_webhookdelivery_changelist"))
    client.post(
        reverse("admin:api_webhookdelivery_changelist"), {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    # then
    assert listing.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_other_shops_deliveries_are_invisible(owner, other_shop, receiver):
    theirs = webhook_endpoint_create(shop=other_shop, url=receiver.url, event_types=["shipment.delivered"])
    delivery = WebhookDelivery.objects.get(event=webhook_test_send(endpoint=theirs))
    client = _client(owner)
    assert client.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk])).status_code == 404
    assert (
        str(delivery.event.event_id) not in client.get(reverse("admin:api_webhookdelivery_changelist")).content.decode()
    )


def test_admin_pages_render_for_the_owner(owner, endpoint):
    # given
    delivery = WebhookDelivery.objects.get(event=webhook_test_send(endpoint=endpoint))
    client = _client(owner)
    # when
    pages = [
        reverse("admin:api_webhookendpoint_changelist"),
        reverse("admin:api_webhookendpoint_add"),
        reverse("admin:api_webhookendpoint_change", args=[endpoint.pk]),
        reverse("admin:api_webhookdelivery_changelist"),
        reverse("admin:api_webhookdelivery_change", args=[delivery.pk]),
        reverse("admin:api_csvimport_changelist"),
        reverse("admin:api_csvimport_add"),
    ]
    # then
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)
    assert endpoint.secret in client.get(pages[2]).content.decode()
    assert "&quot;type&quot;: &quot;webhook.test&quot;" in client.get(pages[4]).content.decode()
