"""The tracking page in Debian's Chromium: phone and desktop, no console errors, lookup, languages, keyboard, axe.

Skipped locally when /usr/bin/chromium is missing; under CI=true a missing browser fails the run.
Screenshots go to test-artifacts/ (git-ignored).
"""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, ShopFactory, TrackingEventFactory
from tests.tracking_portal.factories import LOCKER

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are
# ordinary synchronous calls, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A 1x1 PNG: item images must not leave the test machine.
PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI=true needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
        # The ORM calls a test makes while Playwright's loop runs open a connection in that loop's context;
        # close it here, or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def watched_page(browser, live_server):
    """A page that records console errors, page errors and every request leaving the live server."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.console_errors = []
    page.foreign_requests = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))

    def on_request(request):
        if not request.url.startswith((live_server.url, "data:")):
            page.foreign_requests.append(request.url)

    page.on("request", on_request)
    yield page
    context.close()


@pytest.fixture
def rich_order(db):
    """A split order: a parcel waiting in a locker and a courier parcel in transit, with items."""
    shop = ShopFactory(
        name="Kawiarnia Domowa",
        slug="kawiarnia",
        support_phone="+48 12 345 67 89",
        banner_text="Darmowa dostawa od 200 zł",
        footer_text="Kawiarnia Domowa sp. z o.o.\nul. Rynek 1, Kraków",
    )
    order = OrderFactory(shop=shop, number="KD-1001", customer_email="anna@example.com", shipping_postcode="30-001")
    OrderItemFactory(order=order, name="Kubek ceramiczny", image_url=PIXEL, quantity=2)
    OrderItemFactory(order=order, name="Kawa mielona 250 g", image_url=PIXEL)
    locker = ShipmentFactory(order=order, status="available_for_pickup", pickup_point=LOCKER)
    courier = ShipmentFactory(order=order, carrier="dpd", tracking_number="0000123456789U", status="in_transit")
    for index, (status, text) in enumerate(
        [
            ("info_received", "Przesyłka utworzona"),
            ("in_transit", "Przyjęta w oddziale"),
            ("available_for_pickup", "Gotowa do odbioru"),
        ]
    ):
        TrackingEventFactory(shipment=locker, status=status, text=text, occurred_at=f"2026-11-0{index + 3}T08:00:00Z")
    TrackingEventFactory(shipment=courier, status="in_transit", text="Przesyłka w tranzycie", location="Łódź")
    return order


def test_page_at_phone_and_desktop_widths_without_console_errors_or_third_party_requests(
    watched_page, live_server, rich_order
):
    # given the page of a split order
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{live_server.url}/t/{rich_order.public_token}"

    # when it is opened on a phone and on a desktop
    watched_page.goto(url)
    watched_page.screenshot(path=str(ARTIFACTS / "tracking-page-phone.png"), full_page=True)
    phone_overflow = watched_page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    watched_page.set_viewport_size(DESKTOP)
    watched_page.goto(url)
    watched_page.screenshot(path=str(ARTIFACTS / "tracking-page-desktop.png"), full_page=True)

    # then it renders cleanly, fits the phone and only talks to its own server
    assert watched_page.locator("h1").inner_text() == "Zamówienie KD-1001"
    assert watched_page.locator(".status").all_inner_texts() == ["Gotowa do odbioru", "W drodze"]
    assert watched_page.get_by_text("Paczkomat KRA01M").is_visible()
    assert phone_overflow is False
    assert watched_page.console_errors == []
    assert watched_page.foreign_requests == []
    assert (ARTIFACTS / "tracking-page-phone.png").stat().st_size > 0


def test_status_is_readable_with_javascript_off(browser, live_server, rich_order):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{live_server.url}/t/{rich_order.public_token}")

    assert page.locator(".status").first.inner_text() == "Gotowa do odbioru"
    assert page.get_by_text("Przesyłka w tranzycie").is_visible()
    assert page.locator("button[data-copy]").count() == 0
    context.close()


def test_lookup_flow_finds_the_order_by_number_and_postcode(watched_page, live_server, rich_order):
    ARTIFACTS.mkdir(exist_ok=True)
    watched_page.goto(f"{live_server.url}/kawiarnia/track?lang=en")
    watched_page.screenshot(path=str(ARTIFACTS / "lookup-phone.png"), full_page=True)

    watched_page.get_by_label("Order number").fill("KD-1001")
    watched_page.get_by_label("Email or postcode").fill("30 001")
    watched_page.get_by_role("button", name="Track order").click()
    watched_page.wait_for_url(f"**/t/{rich_order.public_token}?lang=en")

    assert watched_page.locator("h1").inner_text() == "Order KD-1001"
    assert watched_page.console_errors == []


def test_lookup_with_a_wrong_email_shows_the_error(watched_page, live_server, rich_order):
    watched_page.goto(f"{live_server.url}/kawiarnia/track?lang=en")

    watched_page.get_by_label("Order number").fill("KD-1001")
    watched_page.get_by_label("Email or postcode").fill("eve@example.com")
    watched_page.get_by_role("button", name="Track order").click()

    assert "We could not find an order" in watched_page.get_by_role("alert").inner_text()


def test_language_switch_keeps_the_page_and_changes_the_language(watched_page, live_server, rich_order):
    watched_page.goto(f"{live_server.url}/t/{rich_order.public_token}")

    watched_page.get_by_role("link", name="Deutsch").click()
    watched_page.wait_for_url("**?lang=de")

    assert watched_page.locator("html").get_attribute("lang") == "de"
    assert watched_page.locator("h1").inner_text() == "Bestellung KD-1001"
    assert watched_page.locator(".status").first.inner_text() == "Abholbereit"


def test_keyboard_reaches_skip_link_languages_and_links_with_a_visible_focus(watched_page, live_server, rich_order):
    watched_page.goto(f"{live_server.url}/t/{rich_order.public_token}?lang=en")

    # the first Tab lands on the skip link, which moves focus to the main content
    watched_page.keyboard.press("Tab")
    first = watched_page.evaluate("document.activeElement.textContent")
    watched_page.keyboard.press("Enter")
    after_skip = watched_page.evaluate("document.activeElement.id")

    # further Tabs reach the carrier link, and the focused element has a visible outline
    reached, outline = "", "none"
    for _ in range(20):
        watched_page.keyboard.press("Tab")
        reached = watched_page.evaluate("document.activeElement.textContent.trim()")
        if reached.startswith("Open on the"):
            outline = watched_page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            break

    assert first == "Skip to main content"
    assert after_skip == "main"
    assert reached == "Open on the InPost website"
    assert outline == "solid"


def test_copy_button_copies_the_discount_code(browser, live_server, rich_order):
    # the admin preview carries a sample discount code
    from playwright.sync_api import expect

    from tests.factories import MembershipFactory

    owner = MembershipFactory(shop=rich_order.shop, role="owner").user
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/portal/preview/{rich_order.shop.pk}/?lang=en&scenario=delivered")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-preview-delivered-desktop.png"), full_page=True)
    page.get_by_role("button", name="Copy code").click()

    expect(page.locator(".copy-status")).to_have_text("Copied: THANKS-10")
    assert page.evaluate("navigator.clipboard.readText()") == "THANKS-10"
    context.close()


@pytest.mark.parametrize("path", ["page", "lookup", "parcel"])
def test_axe_finds_no_serious_or_critical_violations(watched_page, live_server, rich_order, path):
    from axe_playwright_python.sync_playwright import Axe

    urls = {
        "page": f"/t/{rich_order.public_token}",
        "lookup": "/kawiarnia/track",
        "parcel": f"/p/{rich_order.shipments.first().public_token}",
    }
    for viewport in (PHONE, DESKTOP):
        watched_page.set_viewport_size(viewport)
        watched_page.goto(live_server.url + urls[path])

        results = Axe().run(watched_page)

        serious = [
            (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]])
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert serious == []


def _serve_shop_site(page, live_server, *, site: str, token: str) -> list:
    """Serve a fake shop page at ``site`` embedding the widget from a tracking host proxied to the live server.

    Returns the Access-Control-Allow-Origin values the live server answered with: Playwright adds CORS
    headers to responses it fulfils, so the browser's own CORS check cannot be observed here (the
    refusal of foreign origins is asserted on the server's answer in test_domain_widget_feedback.py).
    """
    allowed_origins = []
    shop_page = (
        '<!doctype html><html lang="en"><head><title>My orders</title></head><body>'
        '<div id="parcelfront-tracking">Loading</div>'
        f'<script src="https://track.kawiarnia.example/static/tracking_portal/widget.js" data-token="{token}" '
        'data-lang="en"></script></body></html>'
    )
    page.route(f"{site}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=shop_page))

    def tracking_host(route):
        upstream = route.request.url.replace("https://track.kawiarnia.example", live_server.url)
        response = route.fetch(url=upstream)
        if ".json" in upstream:
            allowed_origins.append(response.headers.get("access-control-allow-origin"))
        route.fulfill(response=response)

    page.route("https://track.kawiarnia.example/**", tracking_host)
    return allowed_origins


def test_widget_on_the_shops_own_site_shows_every_parcel(browser, live_server, rich_order):
    # given the shop's website is https://www.kawiarnia.example
    from playwright.sync_api import expect

    shop = rich_order.shop
    shop.website_url = "https://www.kawiarnia.example"
    shop.save()
    context = browser.new_context()
    page = context.new_page()
    allowed_origins = _serve_shop_site(
        page, live_server, site="https://www.kawiarnia.example", token=rich_order.public_token
    )

    # when a customer opens an order page on that site
    page.goto("https://www.kawiarnia.example/orders/1")

    # then the widget renders the parcels' status in the page's language
    expect(page.locator(".pf-widget__status")).to_have_text(["Ready for pickup", "On its way"])
    assert page.locator(".pf-widget__link").get_attribute("href").endswith(f"/t/{rich_order.public_token}")
    assert allowed_origins == ["https://www.kawiarnia.example"]
    context.close()
