"""The returns portal in Debian's Chromium on a phone: lookup, items with a photo, the nearest lockers, an exchange,
the code page; axe clean, no third-party request."""

import io
import os
from datetime import UTC, datetime

import pytest
from PIL import Image

from campaigns.models import Product
from returns.models import PhotoRule, ReturnReason, ReturnRequest, ReturnRule, ReturnSettings
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, ShopFactory
from tests.tracking_portal.test_browser import browser, watched_page  # noqa: F401 (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def returnable(db):
    shop = ShopFactory(name="Kawiarnia Domowa", slug="kawiarnia")
    ReturnSettings.objects.create(
        shop=shop, methods=["inpost_code", "packeta_code", "self_send"], packeta_return_code="KD-ZWROT"
    )
    Product.objects.create(shop=shop, sku="MUG-L", name="Ceramic mug, large", url="https://kd.test/l", category="mugs")
    ReturnRule.objects.create(shop=shop, window_days=3650, auto_approve=True)
    ReturnReason.objects.create(shop=shop, code="damaged", label="Damaged", photo=PhotoRule.REQUIRED)
    order = OrderFactory(shop=shop, number="KD-2001", customer_email="anna@example.com", locale="en")
    OrderItemFactory(order=order, name="Ceramic mug", quantity=2, category="mugs")
    ShipmentFactory(order=order, status="delivered", delivered_at=datetime.now(UTC))
    return order


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "brown").save(buffer, format="JPEG")
    return buffer.getvalue()


def axe_serious(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_a_customer_returns_a_damaged_mug_with_a_photo_and_gets_the_code(
    watched_page,  # noqa: F811
    live_server,
    returnable,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    page = watched_page
    page.goto(f"{live_server.url}/kawiarnia/returns?lang=en")
    assert axe_serious(page) == []
    page.fill("#number", "KD-2001")
    page.fill("#secret", "anna@example.com")
    page.click("button[type=submit]")

    item = returnable.items.get()
    page.wait_for_selector(f"#qty-{item.pk}")
    assert axe_serious(page) == []
    page.select_option(f"#qty-{item.pk}", "1")
    page.select_option(f"#reason-{item.pk}", label="Damaged (photo required)")
    page.set_input_files(
        f"#photo-{item.pk}", files=[{"name": "mug.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    # The nearest lockers (fetched by the server, shown as text and plain map links) and the exchange choice.
    assert "Paczkomat WAW22A" in page.inner_text(".dropoff-points")
    assert page.get_attribute(".dropoff-points a", "href").startswith("https://www.openstreetmap.org/")
    page.check("#resolution-exchange")
    page.select_option(f"#exchange-{item.pk}", label="Ceramic mug, large")
    page.check("#method-packeta_code")
    page.click("text=Send return request")

    page.wait_for_selector(".return-code")
    assert page.inner_text(".return-code") == "KD-ZWROT"
    assert axe_serious(page) == []
    assert page.console_errors == []
    assert page.foreign_requests == []
    return_request = ReturnRequest.objects.get()
    assert (return_request.state, return_request.items.get().quantity) == ("label_issued", 1)
    assert (return_request.resolution, return_request.items.get().exchange_sku) == ("exchange", "MUG-L")
    assert "In exchange for: Ceramic mug, large" in page.content()
    assert return_request.items.get().photo.name.startswith("returns/photos/")
