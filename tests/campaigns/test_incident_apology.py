"""The delay apology queued from a watchlist "delayed" incident (by name), once per campaign and order."""

from datetime import UTC, datetime

import pytest

from campaigns.dispatch import late_parcel_apologize
from campaigns.models import CampaignDispatch
from tests.campaigns.factories import CampaignFactory
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_delayed_parcel_gets_one_apology_per_live_campaign(shop, other_shop):
    # given a late-trigger campaign of the shop, one of another shop, and a parcel with a status change
    apology = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    CampaignFactory(shop=other_shop, trigger_type="late_or_exception", trigger_status="")
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), status="in_transit")
    change = StatusChangeFactory(shipment=shipment, to_status="in_transit")

    # when the watchlist's task asks twice
    first = late_parcel_apologize(shipment_id=shipment.pk, now=NOW)
    again = late_parcel_apologize(shipment_id=shipment.pk, now=NOW)

    # then one dispatch of the shop's campaign, anchored on the parcel's status change
    assert (first, again) == (1, 0)
    dispatch = CampaignDispatch.objects.get()
    assert (dispatch.campaign_id, dispatch.order_id, dispatch.status_change_id) == (
        apology.pk,
        shipment.order_id,
        change.pk,
    )


def test_a_return_parcel_gets_no_apology(shop):
    CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), status="in_transit", direction="return")
    StatusChangeFactory(shipment=shipment, to_status="in_transit")
    assert late_parcel_apologize(shipment_id=shipment.pk, now=NOW) == 0
    assert not CampaignDispatch.objects.exists()
