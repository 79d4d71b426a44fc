"""The admin home: the shop's dashboard by role, tiles linking to their lists, navigation by task, isolation."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from analytics.dashboard import dashboard_tiles
from analytics.models import SlaTarget
from analytics.rollups import shipment_rollup_refresh
from campaigns.models import Campaign, DiscountRedemption
from tests.analytics.helpers import journey
from tests.factories import MembershipFactory, OrderFactory, ShipmentFactory
from watchlist.models import Incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 23, 12, tzinfo=UTC)  # a Friday
MONDAY = date(2026, 10, 19)


def titles(tiles):
    return [tile.title for tile in tiles]


@pytest.fixture
def busy_shop(shop):
    for offset in range(4):
        journey(shop, placed_on=MONDAY, pickup_after=0, transit=1 + offset, first_eta=MONDAY + timedelta(days=2))
    in_flight = ShipmentFactory(order__shop=shop, status="in_transit")
    shipment_rollup_refresh(shipment_id=in_flight.pk)
    Incident.objects.create(
        shop=shop, shipment=in_flight, incident_type="stalled", anchor_at=NOW, threshold_days=2, opened_at=NOW
    )
    campaign = Campaign.objects.filter(shop=shop).first()
    DiscountRedemption.objects.create(
        shop=shop,
        code="THANKS10",
        order_number="X1",
        amount=Decimal("120.50"),
        currency="PLN",
        redeemed_at=NOW,
        campaign=campaign,
    )
    return shop


def test_each_role_sees_its_tiles(busy_shop):
    owner = dashboard_tiles(shop=busy_shop, role="owner", now=NOW)
    marketer = dashboard_tiles(shop=busy_shop, role="marketer", now=NOW)
    support = dashboard_tiles(shop=busy_shop, role="support", now=NOW)

    assert titles(support) == ["Parcels in flight", "Delivered on time this week", "Open incidents", "Returns waiting"]
    assert titles(marketer) == ["Emails, last 30 days", "Campaign revenue, last 30 days", "NPS, last 30 days"]
    assert titles(owner) == titles(support) + titles(marketer)


def test_the_tiles_count_what_happened(busy_shop):
    tiles = {tile.title: tile for tile in dashboard_tiles(shop=busy_shop, role="owner", now=NOW)}

    # four parcels delivered this week, two of them by Wednesday as first announced
    assert tiles["Delivered on time this week"].value == "50%"
    assert tiles["Delivered on time this week"].detail == "2 of 4 with an estimate; 4 delivered"
    assert tiles["Parcels in flight"].value == "1"
    assert tiles["Open incidents"].value == "1"
    assert tiles["Returns waiting"].value == "0"


@pytest.mark.parametrize("role", ["owner", "marketer", "support"])
def test_every_tile_links_to_a_list_the_role_can_open(client, busy_shop, role):
    member = MembershipFactory(shop=busy_shop, role=role).user
    client.force_login(member)
    SlaTarget.objects.create(shop=busy_shop, carrier="dpd", within_days=2, target_percent=Decimal("95"))

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("admin:index"))

    tiles = response.context["tiles"]
    assert ("SLA dpd" in titles(tiles)) == (role != "marketer")
    for tile in tiles:
        assert client.get(tile.url).status_code == 200, tile.title


def test_the_home_page_is_the_dashboard_with_task_sections(client, busy_shop, owner, support):
    client.force_login(owner)
    page = client.get(reverse("admin:index"))
    sections = [app["name"] for app in page.context["app_list"]]

    client.force_login(support)
    support_page = client.get(reverse("admin:index"))

    assert page.status_code == 200
    assert 'id="dashboard-tiles"' in page.content.decode()
    assert sections[:3] == ["Parcels", "Watchlist", "Returns"]
    assert {"Marketing", "Analytics", "Settings", "Developers", "Customers' messages"} <= set(sections)
    assert "Marketing" not in [app["name"] for app in support_page.context["app_list"]]
    assert "Delivery analytics" in support_page.content.decode()


def test_a_user_never_sees_another_shops_dashboard(client, busy_shop, other_shop, owner):
    journey(other_shop, placed_on=MONDAY, pickup_after=0, transit=1)
    client.force_login(owner)

    foreign = client.get(reverse("admin:index"), {"shop": other_shop.pk})
    own = client.get(reverse("admin:index"))

    assert foreign.context["tiles"] == []
    assert foreign.context["dashboard_shop"] is None
    assert own.context["dashboard_shop"] == busy_shop


def test_the_nps_tile_shows_the_last_30_days_score_of_this_shop_only(busy_shop, other_shop):
    from feedback.models import FeedbackResponse, segment_of

    def scored(shop, score, days_ago):
        when = NOW - timedelta(days=days_ago)
        FeedbackResponse.objects.create(
            shop=shop,
            order=OrderFactory(shop=shop),
            scale="nps",
            score=score,
            segment=segment_of(scale="nps", score=score),
            created_at=when,
            updated_at=when,
        )

    # given three promoters, a passive and a detractor this month; an old detractor and another shop's
    for score in (10, 9, 9, 8, 3):
        scored(busy_shop, score, days_ago=3)
    scored(busy_shop, 0, days_ago=60)
    scored(other_shop, 0, days_ago=3)

    # when the marketer's tiles are built
    tiles = {tile.title: tile for tile in dashboard_tiles(shop=busy_shop, role="marketer", now=NOW)}

    # then NPS = (3 promoters - 1 detractor) / 5 responses
    assert (tiles["NPS, last 30 days"].value, tiles["NPS, last 30 days"].detail) == ("+40", "5 responses")


def test_an_sla_target_is_stored_in_the_roll_ups_spelling(client, shop, owner):
    client.force_login(owner)

    response = client.post(
        reverse("admin:analytics_slatarget_add"),
        {
            "shop": shop.pk,
            "carrier": " DPD ",
            "destination_country": "pl",
            "metric": "pickup_to_delivery",
            "within_days": 2,
            "target_percent": "95",
            "min_deliveries": 20,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert SlaTarget.objects.values_list("carrier", "destination_country").get() == ("dpd", "PL")


def test_support_reads_but_cannot_add_sla_targets(client, shop, support):
    client.force_login(support)

    assert client.get(reverse("admin:analytics_slatarget_changelist")).status_code == 200
    assert client.get(reverse("admin:analytics_slatarget_add")).status_code == 403
