"""The public returns portal: lookup without enumeration, the signed start link, the form, the code page."""

import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from returns.links import return_start_token
from returns.models import ReturnItem, ReturnRequest
from tests.returns.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def start_url(order) -> str:
    return f"/{order.shop.slug}/returns/start/{return_start_token(order=order)}"


def test_lookup_with_the_right_email_leads_to_the_form(client, delivered_order):
    order = delivered_order["order"]

    response = client.post(f"/{order.shop.slug}/returns", {"number": order.number, "secret": order.customer_email})

    assert response.status_code == 303
    assert re.match(rf"^/{order.shop.slug}/returns/start/[A-Za-z0-9_:-]+\?lang=pl$", response["Location"])
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert "Mug" in form.content.decode()


def test_a_wrong_email_and_an_unknown_order_get_the_same_answer(client, delivered_order):
    order = delivered_order["order"]
    url = f"/{order.shop.slug}/returns"

    wrong_secret = client.post(url, {"number": order.number, "secret": "someone@example.com"})
    unknown_order = client.post(url, {"number": "NO-SUCH", "secret": "someone@example.com"})

    assert wrong_secret.status_code == unknown_order.status_code == 200
    strip = re.compile(r'value="[^"]*"|name="csrfmiddlewaretoken"[^>]*')
    assert strip.sub("", wrong_secret.content.decode()) == strip.sub("", unknown_order.content.decode())


def test_lookups_are_rate_limited(client, delivered_order, settings):
    settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT = 2
    order = delivered_order["order"]
    url = f"/{order.shop.slug}/returns"
    for _attempt in range(2):
        client.post(url, {"number": "X", "secret": "y"})

    response = client.post(url, {"number": order.number, "secret": order.customer_email})

    assert response.status_code == 429
    assert response["Retry-After"]


def test_another_shops_slug_does_not_open_the_order(client, delivered_order, other_shop):
    order = delivered_order["order"]

    response = client.get(f"/{other_shop.slug}/returns/start/{return_start_token(order=order)}")

    assert response.status_code == 404
    assert "Mug" not in response.content.decode()


def test_submitting_the_form_shows_the_confirmation_and_spends_the_link(client, delivered_order, return_setup):
    order, mug = delivered_order["order"], delivered_order["mug"]
    url = start_url(order)

    response = client.post(
        url,
        {
            f"qty-{mug.pk}": "1",
            f"reason-{mug.pk}": str(return_setup["size"].pk),
            "resolution": "refund",
            "method": "self_send",
        },
    )

    return_request = ReturnRequest.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/returns/{return_request.public_token}?lang=pl"
    page = client.get(response["Location"]).content.decode()
    assert "PF-RET-1" in page and "Mug" in page
    assert client.get(url).status_code == 404
    slip = client.get(f"/returns/{return_request.public_token}/slip?lang=en").content.decode()
    assert "Return slip" in slip and "MUG" in slip


def test_a_photo_too_big_is_refused_on_the_form(client, delivered_order, return_setup, settings):
    settings.RETURN_PHOTO_MAX_BYTES = 200
    order, mug = delivered_order["order"], delivered_order["mug"]
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "blue").save(buffer, format="PNG")

    response = client.post(
        start_url(order) + "?lang=en",
        {
            f"qty-{mug.pk}": "1",
            f"reason-{mug.pk}": str(return_setup["damaged"].pk),
            f"photo-{mug.pk}": SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"),
            "resolution": "refund",
            "method": "self_send",
        },
    )

    assert response.status_code == 400
    assert "The photo is too big" in response.content.decode()
    assert ReturnRequest.objects.count() == 0
    assert ReturnItem.objects.count() == 0


def test_the_code_page_shows_the_code_large(client, delivered_order, return_setup):
    from returns.models import ReturnRule

    ReturnRule.objects.filter(shop=delivered_order["order"].shop).update(auto_approve=True)
    mug = delivered_order["mug"]
    client.post(
        start_url(delivered_order["order"]),
        {
            f"qty-{mug.pk}": "1",
            f"reason-{mug.pk}": str(return_setup["size"].pk),
            "resolution": "refund",
            "method": "packeta_code",
        },
    )
    return_request = ReturnRequest.objects.get()

    page = client.get(f"/returns/{return_request.public_token}").content.decode()

    assert '<p class="return-code">PKT-RET-77</p>' in page


def test_the_custom_domain_serves_only_its_shop(client, delivered_order, other_shop):
    order = delivered_order["order"]
    other_shop.custom_domain = "track.other.example"
    other_shop.save()
    shop = order.shop
    shop.custom_domain = "returns.shop.example"
    shop.save()

    own = client.get("/returns", HTTP_HOST="returns.shop.example")
    foreign = client.get(f"/returns/start/{return_start_token(order=order)}", HTTP_HOST="track.other.example")

    assert own.status_code == 200
    assert foreign.status_code == 404


def test_the_tracking_page_of_a_delivered_order_links_to_the_return_form(client, delivered_order, return_setup):
    order = delivered_order["order"]

    page = client.get(f"/t/{order.public_token}").content.decode()

    link = re.search(rf'href="(/{order.shop.slug}/returns/start/[^"?]+)\?lang=pl"', page)
    assert link is not None
    assert "Mug" in client.get(link.group(1)).content.decode()


def test_the_tracking_page_offers_no_returns_without_a_rule(client, shop):
    from tests.factories import OrderFactory

    order = OrderFactory(shop=shop)

    page = client.get(f"/t/{order.public_token}").content.decode()

    assert "/returns/start/" not in page
