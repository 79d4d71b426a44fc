"""The tracking page explains an open incident to the customer in their language, and stops once it resolves."""

import pytest
import time_machine
from django.core.cache import cache

from carriers.types import Status
from tests.watchlist.helpers import look, parcel, scan, warsaw
from tracking_portal.pages import local_pages, recent_keys

pytestmark = pytest.mark.django_db


def test_the_page_explains_an_open_failed_attempt_in_polish_and_drops_it_after_delivery(client, shop):
    # given a failed attempt left without a new attempt for a business day
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop, locale="pl")
    scan(shipment, Status.FAILED_ATTEMPT, warsaw(2026, 11, 3, 11, 0))
    look(shipment, warsaw(2026, 11, 4, 11, 0))

    # when the customer opens the page, then again after delivery
    url = f"/t/{shipment.order.public_token}"
    during = client.get(url).content.decode()
    scan(shipment, Status.DELIVERED, warsaw(2026, 11, 4, 15, 0))
    look(shipment, warsaw(2026, 11, 4, 15, 1))
    recent_keys.clear()  # the page re-reads the order's version at most once a second
    after = client.get(url).content.decode()

    # then the explanation shows while the incident is open, in Polish, and not afterwards
    assert "Kurier nie mógł doręczyć Twojej przesyłki" in during
    assert '<p class="incident" role="status">' in during
    assert "Kurier nie mógł doręczyć Twojej przesyłki" not in after


def test_another_parcels_incident_is_not_shown(client, shop):
    # given two orders, one with an open incident
    troubled = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(troubled, Status.FAILED_ATTEMPT, warsaw(2026, 11, 3, 11, 0))
    look(troubled, warsaw(2026, 11, 4, 11, 0))
    calm = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)

    # when the calm order's page is opened
    page = client.get(f"/t/{calm.order.public_token}").content.decode()

    # then it explains nothing
    assert 'class="incident"' not in page


def test_a_pickup_deadline_that_has_passed_says_so(client, shop):
    # given an InPost locker parcel ready on Thursday 12 November 10:00 (collect by Saturday 10:00), never collected
    shipment = parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop, carrier="inpost", service="inpost_locker_standard")
    scan(shipment, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))
    look(shipment, warsaw(2026, 11, 13, 10, 0))
    url = f"/t/{shipment.order.public_token}?lang=en"

    # when the customer opens the page on Friday and on Sunday
    with time_machine.travel(warsaw(2026, 11, 13, 12, 0), tick=False):
        friday = client.get(url).content.decode()
    # A rendered page lives until its cache lifetime ends, like a parcel's "late" line
    recent_keys.clear()
    local_pages.clear()
    cache.clear()
    with time_machine.travel(warsaw(2026, 11, 15, 12, 0), tick=False):
        sunday = client.get(url).content.decode()

    # then Friday names the day to collect by, Sunday says the time has run out
    assert "Your parcel is waiting for you until" in friday
    assert "The time to collect your parcel has run out" in sunday
