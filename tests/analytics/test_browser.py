"""The dashboard and delivery analytics in Debian's Chromium: log in as the owner, see tiles and charts, screenshot.

Skipped locally when /usr/bin/chromium is missing; under CI=true a missing browser fails the run.
Screenshots go to test-artifacts/ (git-ignored).
"""

import os
from datetime import date, timedelta

import pytest

from tests.analytics.helpers import journey
from tests.factories import MembershipFactory, ShopFactory, UserFactory
from tests.tracking_portal.test_browser import ARTIFACTS, DESKTOP

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def owner_with_history(db):
    shop = ShopFactory(name="Palarnia Testowa", slug="palarnia")
    owner = UserFactory(username="owner@palarnia.example")
    MembershipFactory(user=owner, shop=shop, role="owner")
    monday = date.today() - timedelta(days=date.today().weekday() + 14)
    for offset in range(12):
        journey(
            shop,
            placed_on=monday + timedelta(days=offset % 10),
            pickup_after=offset % 2,
            transit=1 + offset % 3,
            carrier=("inpost", "dpd", "dhl")[offset % 3],
        )
    return owner


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_the_owner_logs_in_to_the_dashboard_and_its_analytics(watched_page, live_server, owner_with_history):
    page = watched_page
    page.set_viewport_size(DESKTOP)
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    ARTIFACTS.mkdir(exist_ok=True)

    # when the owner logs in
    log_in(page, live_server, owner_with_history.username)

    # then the home page is the dashboard, with tiles and the task navigation
    page.wait_for_selector("#dashboard-tiles .pf-tile")
    titles = page.locator("#dashboard-tiles h3").all_inner_texts()
    assert titles[:4] == ["Parcels in flight", "Delivered on time this week", "Open incidents", "Returns waiting"]
    assert page.locator("#parcels caption").inner_text().lower() == "parcels"
    page.screenshot(path=str(ARTIFACTS / "analytics-dashboard.png"), full_page=True)

    # and the delivery analytics page draws its charts from our own server
    page.click("text=Delivery analytics")
    page.wait_for_selector(".pf-chart svg")
    assert page.locator(".pf-chart svg").count() == 2
    assert page.locator("#delivery-totals strong").first.inner_text() == "12"
    page.screenshot(path=str(ARTIFACTS / "analytics-delivery.png"), full_page=True)
    # (the browser's own favicon request is the admin's missing icon, not ours)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [error for error in page.console_errors if "404 (Not Found)" not in error] == []
    assert page.foreign_requests == []
