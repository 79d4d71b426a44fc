"""Admin actions run only on rows of shops where the user's role grants the action's permission."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def test_owner_elsewhere_cannot_poll_the_shop_where_they_are_only_support(
    client, shop, other_shop, published, django_capture_on_commit_callbacks
):
    # given a user who owns other_shop but is only support in shop
    user = MembershipFactory(shop=other_shop, role="owner").user
    MembershipFactory(shop=shop, role="support", user=user)
    supported = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=LATER)
    owned = ShipmentFactory(order=OrderFactory(shop=other_shop), next_poll_at=LATER)
    client.force_login(user)

    # when they forge a "poll now" for both shops' shipments
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:shipments_shipment_changelist"),
            {"action": "poll_now", "_selected_action": [supported.pk, owned.pk]},
            follow=True,
        )

    # then only the owned shop's shipment is polled; the supported shop's is untouched
    assert "1 shipment(s) will be polled" in response.content.decode()
    supported.refresh_from_db()
    owned.refresh_from_db()
    assert supported.next_poll_at == LATER
    assert owned.next_poll_at != LATER
    assert published == [("shipments.poll_dispatch", {})]


def test_support_only_forged_poll_changes_nothing(client, shop, support, published):
    # given a support member who sees the shipment list
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=LATER)
    client.force_login(support)

    # when they post the action anyway
    client.post(
        reverse("admin:shipments_shipment_changelist"), {"action": "poll_now", "_selected_action": [shipment.pk]}
    )

    # then nothing changed and nothing was published
    shipment.refresh_from_db()
    assert shipment.next_poll_at == LATER
    assert published == []


def test_export_still_runs_on_every_visible_row(client, shop, support):
    # given a support member (view rights) and a shipment of their shop
    shipment = ShipmentFactory(order=OrderFactory(shop=shop))
    client.force_login(support)

    # when they export it
    response = client.post(
        reverse("admin:shipments_shipment_changelist"), {"action": "export_csv", "_selected_action": [shipment.pk]}
    )

    # then the row is exported
    assert response.status_code == 200
    assert shipment.tracking_number in response.content.decode()
