"""The SMS text editor's live preview in Debian's Chromium: characters, encoding and segments as the shop types.

Skipped locally when /usr/bin/chromium is missing; under CI=true a missing browser fails the run.
"""

import os
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client

from tests.factories import MembershipFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI=true needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()
        connections.close_all()


def test_the_preview_follows_the_text_as_it_is_typed(browser, live_server, shop):
    # given: a marketer of the shop, logged in
    user = MembershipFactory(shop=shop, role="marketer").user
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/notifications/smstemplate/add/")
    page.select_option("select[name=shop]", str(shop.pk))
    summary = page.locator("#sms-preview-summary")
    # when: Polish with diacritics
    page.fill("textarea[name=body]", "Paczka {{ order_number }} dziś u Ciebie")
    # then
    page.wait_for_function("document.getElementById('sms-preview-text').textContent.startsWith('Paczka 1001 dziś')")
    assert "UCS-2" in summary.text_content()
    # when: plain GSM-7 text
    page.fill("textarea[name=body]", "Parcel {{ order_number }} today")
    page.wait_for_function("document.getElementById('sms-preview-text').textContent.startsWith('Parcel 1001')")
    assert summary.text_content().endswith("GSM-7, 1 SMS (160/SMS)")
    # when: a variable the sandbox does not offer
    page.fill("textarea[name=body]", "{{ order.customer_email }}")
    page.wait_for_function("document.getElementById('sms-preview-summary').textContent.includes('Unknown')")
    assert errors == []
    context.close()
