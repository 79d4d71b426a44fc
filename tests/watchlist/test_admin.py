"""The admin watchlist: scoped to the user's shops; resolve with a note, snooze, assign; the carrier page link."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.factories import ShipmentFactory
from watchlist.models import Incident

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:watchlist_incident_changelist"


def incident(shop, *, carrier="inpost", tracking_number=None):
    shipment = ShipmentFactory(
        order__shop=shop,
        carrier=carrier,
        status="in_transit",
        **({"tracking_number": tracking_number} if tracking_number else {}),
    )
    moment = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    return Incident.objects.create(
        shop=shop,
        shipment=shipment,
        incident_type="stalled",
        anchor_at=moment,
        threshold_days=2,
        threshold_source="learned",
        threshold_note="lane p95 scan gap 1 bd over 40 deliveries",
        opened_at=moment,
    )


def test_the_watchlist_lists_only_the_users_shop_with_threshold_and_carrier_page(client, shop, other_shop, support):
    # given an incident of the support member's shop and one of another shop
    own = incident(shop, tracking_number="620000000000000000000777")
    foreign = incident(other_shop, tracking_number="620000000000000000000888")
    client.force_login(support)

    # when they open the watchlist and the foreign incident's page
    page = client.get(reverse(CHANGELIST)).content.decode()
    detail = client.get(reverse("admin:watchlist_incident_change", args=[foreign.pk]))

    # then only their own incident is listed, with why its threshold applied and the carrier's page
    assert own.shipment.tracking_number in page
    assert foreign.shipment.tracking_number not in page
    assert "lane p95 scan gap 1 bd over 40 deliveries" in page
    assert "inpost.pl" in page
    assert f"mailto:{own.shipment.order.customer_email}" in page
    assert detail.status_code == 404


def test_resolve_with_a_note_snooze_and_assign(client, shop, support, published):
    # given an open incident
    own = incident(shop)
    client.force_login(support)

    # when support assigns it to themselves, snoozes it, then resolves it with a note
    client.post(reverse(CHANGELIST), {"action": "assign_to_me", "_selected_action": [own.pk]})
    client.post(reverse(CHANGELIST), {"action": "snooze", "snooze_days": "2", "_selected_action": [own.pk]})
    own.refresh_from_db()
    snoozed = (own.state, own.assigned_to)
    client.post(reverse(CHANGELIST), {"action": "resolve", "note": "Carrier found it", "_selected_action": [own.pk]})

    # then each step took effect
    own.refresh_from_db()
    assert snoozed == ("snoozed", support)
    assert (own.state, own.resolved_by, own.resolution_note) == ("resolved", support, "Carrier found it")


def test_resolve_without_a_note_changes_nothing(client, shop, support):
    own = incident(shop)
    client.force_login(support)
    response = client.post(
        reverse(CHANGELIST), {"action": "resolve", "note": "", "_selected_action": [own.pk]}, follow=True
    )
    own.refresh_from_db()
    assert own.state == "open"
    assert "Write a note to resolve incidents." in response.content.decode()


def test_a_forged_post_cannot_resolve_another_shops_incident(client, shop, other_shop, support):
    # given another shop's incident
    foreign = incident(other_shop)
    client.force_login(support)

    # when support forges its id into the action
    client.post(reverse(CHANGELIST), {"action": "resolve", "note": "x", "_selected_action": [foreign.pk]})

    # then it stays open
    foreign.refresh_from_db()
    assert (foreign.state, foreign.resolution_note) == ("open", "")


def test_a_marketer_sees_but_cannot_resolve(client, shop, marketer):
    own = incident(shop)
    client.force_login(marketer)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    client.post(reverse(CHANGELIST), {"action": "resolve", "note": "x", "_selected_action": [own.pk]})
    own.refresh_from_db()
    assert own.state == "open"


def test_the_watchlist_filters_by_age(client, shop, support):
    # given an incident opened ten days ago and one opened an hour ago
    from datetime import timedelta

    from django.utils import timezone

    old = incident(shop, tracking_number="620000000000000000000111")
    new = incident(shop, tracking_number="620000000000000000000222")
    Incident.objects.filter(pk=old.pk).update(opened_at=timezone.now() - timedelta(days=10))
    Incident.objects.filter(pk=new.pk).update(opened_at=timezone.now() - timedelta(hours=1))
    client.force_login(support)

    # when support lists those open over a week
    page = client.get(reverse(CHANGELIST), {"age": "older"}).content.decode()

    # then only the old one is listed
    assert old.shipment.tracking_number in page
    assert new.shipment.tracking_number not in page
