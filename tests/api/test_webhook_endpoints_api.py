"""Registering webhook endpoints through the API."""

from api.models import WebhookDelivery, WebhookEndpoint


def test_register_list_test_and_remove(api, shop, receiver):
    # when
    created = api.post("/webhook-endpoints", {"url": receiver.url, "event_types": ["shipment.delivered"]})
    endpoint_id = created.json()["id"]
    listed = api.get("/webhook-endpoints")
    tested = api.post(f"/webhook-endpoints/{endpoint_id}/test", {})
    removed = api.delete(f"/webhook-endpoints/{endpoint_id}")
    # then
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert [item["id"] for item in listed.json()] == [endpoint_id]
    assert "secret" not in listed.json()[0]
    assert tested.status_code == 202
    assert tested.json()["event_id"].startswith("msg_")
    assert removed.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_private_url_is_refused(api):
    response = api.post("/webhook-endpoints", {"url": "http://169.254.169.254/", "event_types": ["shipment.delivered"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_unknown_event_type_is_refused(api, receiver):
    response = api.post("/webhook-endpoints", {"url": receiver.url, "event_types": ["order.teleported"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "event_types[0]"


def test_other_shops_endpoint_is_404(api, other_shop, receiver):
    endpoint = WebhookEndpoint.objects.create(shop=other_shop, url=receiver.url, event_types=["shipment.delivered"])
    assert api.delete(f"/webhook-endpoints/{endpoint.pk}").status_code == 404
    assert api.post(f"/webhook-endpoints/{endpoint.pk}/test", {}).status_code == 404
    assert api.get("/webhook-endpoints").json() == []
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_text_longer_than_the_schema_allows_is_refused_even_when_its_excess_is_whitespace(api, receiver):
    # given: 200 characters of description are allowed; one more is a newline
    body = {"url": receiver.url, "event_types": ["shipment.delivered"]}
    # when
    too_long = api.post("/webhook-endpoints", {**body, "description": "\n" + "x" * 200})
    padded = api.post("/webhook-endpoints", {**body, "description": "  Warehouse  "})
    # then: refused as the schema says; surrounding spaces of a text within bounds are dropped
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "description"
    assert padded.status_code == 201
    assert WebhookEndpoint.objects.get().description == "Warehouse"
