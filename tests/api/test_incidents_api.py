"""Incidents through the API: list with filters, resolve with a note, tenant isolation."""

from datetime import UTC, datetime

import pytest

from tests.factories import ShipmentFactory
from watchlist.models import Incident

OPENED = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def incident(shop, *, incident_type="stalled", carrier="dpd", state="open", opened_at=OPENED):
    shipment = ShipmentFactory(order__shop=shop, carrier=carrier, status="in_transit")
    return Incident.objects.create(
        shop=shop,
        shipment=shipment,
        incident_type=incident_type,
        state=state,
        anchor_at=opened_at,
        threshold_days=3,
        threshold_source="default",
        threshold_note="default, domestic",
        opened_at=opened_at,
    )


@pytest.mark.django_db
def test_list_filters_by_state_type_carrier_and_since(api, shop):
    # given incidents of several kinds
    stalled = incident(shop)
    incident(shop, incident_type="lost")
    incident(shop, carrier="inpost")
    incident(shop, state="resolved")
    incident(shop, opened_at=datetime(2026, 10, 1, tzinfo=UTC))

    # when the shop asks for its open stalled DPD incidents since November
    response = api.get(
        "/incidents", {"state": "open", "type": "stalled", "carrier": "dpd", "since": "2026-11-01T00:00:00Z"}
    )

    # then exactly that one comes back, with its threshold and parcel
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [stalled.pk]
    assert items[0]["threshold"] == {"business_days": 3, "source": "default", "note": "default, domestic"}
    assert items[0]["shipment"]["carrier"] == "dpd"
    assert items[0]["order"] == {"number": stalled.shipment.order.number}


@pytest.mark.django_db
def test_unknown_filter_is_a_validation_problem(api, shop):
    response = api.get("/incidents", {"colour": "red"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "Unknown query parameter."}]


@pytest.mark.django_db
def test_resolve_with_a_note(api, shop, published, django_capture_on_commit_callbacks):
    # given an open incident
    open_incident = incident(shop)

    # when the shop resolves it
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/incidents/{open_incident.pk}/resolve", {"note": "Refunded the customer"})

    # then it is resolved with the note, and the incident.resolved webhook is published
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["resolution_note"]) == ("resolved", "Refunded the customer")
    open_incident.refresh_from_db()
    assert (open_incident.state, open_incident.resolution_note) == ("resolved", "Refunded the customer")
    assert [(name, kwargs["event_type"], kwargs["dedupe_key"]) for name, kwargs in published] == [
        ("api.emit_webhook_event", "incident.resolved", f"incident:{open_incident.pk}:resolved")
    ]


@pytest.mark.django_db
def test_resolving_twice_is_a_conflict(api, shop):
    resolved = incident(shop, state="resolved")
    response = api.post(f"/incidents/{resolved.pk}/resolve", {"note": "again"})
    assert response.status_code == 409


@pytest.mark.django_db
def test_another_shops_incident_is_invisible_and_cannot_be_resolved(api, other_api, shop, other_shop):
    # given an incident of another shop
    foreign = incident(other_shop)

    # when this shop lists and tries to resolve it
    listed = api.get("/incidents")
    resolved = api.post(f"/incidents/{foreign.pk}/resolve", {"note": "not mine"})

    # then it sees nothing and gets a 404; the incident stays open
    assert listed.json()["items"] == []
    assert resolved.status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == "open"
    assert [item["id"] for item in other_api.get("/incidents").json()["items"]] == [foreign.pk]


@pytest.mark.django_db
def test_an_empty_note_is_refused(api, shop):
    open_incident = incident(shop)
    response = api.post(f"/incidents/{open_incident.pk}/resolve", {"note": ""})
    assert response.status_code == 422
    open_incident.refresh_from_db()
    assert open_incident.state == "open"


@pytest.mark.django_db
def test_an_endpoint_can_subscribe_to_incident_events_and_receives_them(api, shop, settings):
    from api.models import WebhookDelivery
    from api.tasks import emit_webhook_event

    # given an endpoint registered for incident events
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    response = api.post(
        "/webhook-endpoints",
        {"url": "http://localhost:9/hook", "event_types": ["incident.opened", "incident.resolved"]},
    )
    assert response.status_code == 201

    # when the watchlist's by-name event arrives twice
    data = {"id": 7, "type": "stalled"}
    first = emit_webhook_event(shop_id=shop.pk, event_type="incident.opened", data=data, dedupe_key="incident:7:opened")
    again = emit_webhook_event(shop_id=shop.pk, event_type="incident.opened", data=data, dedupe_key="incident:7:opened")

    # then one event and one delivery exist
    assert first == again
    assert WebhookDelivery.objects.filter(event__event_type="incident.opened").count() == 1
