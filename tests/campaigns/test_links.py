"""The signed click redirect: records the click, adds UTM parameters, never redirects a bad token."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import override_settings

from campaigns.links import CLICK_SALT, tracked_url
from campaigns.models import Click
from tests.campaigns.factories import CampaignFactory
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

# The shop's own website: links to it redirect straight away (others open a "leaving" page).
SHOP_SITE = "https://shop.example"


def _token(url: str) -> str:
    return urlsplit(url).path.removeprefix("/r/")


@override_settings(PUBLIC_BASE_URL="https://track.example.com")
def test_tracked_url_is_absolute_under_public_base_url():
    order = OrderFactory(shop__website_url=SHOP_SITE)

    url = tracked_url(target_url="https://shop.example/p/1", order=order, source="page")

    assert url.startswith("https://track.example.com/r/")


def test_email_click_is_recorded_and_redirects_with_utm(client):
    campaign = CampaignFactory(slug="review-request", shop__website_url=SHOP_SITE)
    order = OrderFactory(shop=campaign.shop)
    url = tracked_url(
        target_url="https://shop.example/p/1?color=red",
        order=order,
        source="email",
        campaign_id=campaign.pk,
        variant="B",
        message_id=77,
    )

    response = client.get(urlsplit(url).path)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example", "/p/1")
    assert parse_qs(location.query) == {
        "color": ["red"],
        "utm_source": ["parcelfront"],
        "utm_medium": ["email"],
        "utm_campaign": ["review-request"],
    }
    click = Click.objects.get()
    assert (click.shop_id, click.order_id, click.campaign_id, click.variant, click.message_id, click.source) == (
        order.shop_id,
        order.pk,
        campaign.pk,
        "B",
        77,
        "email",
    )
    assert click.target_url == "https://shop.example/p/1?color=red"


def test_page_click_without_campaign_is_transactional(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/guide", order=order, source="page")

    response = client.get(urlsplit(url).path)

    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["utm_medium"] == ["tracking_page"]
    assert query["utm_campaign"] == ["transactional"]
    assert Click.objects.get().campaign_id is None


def test_utm_values_already_in_the_target_are_kept(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/?utm_source=newsletter", order=order, source="page")

    response = client.get(urlsplit(url).path)

    assert parse_qs(urlsplit(response["Location"]).query)["utm_source"] == ["newsletter"]


def test_tampered_token_is_400_and_records_nothing(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/p/1", order=order, source="email")
    token = _token(url)
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")

    response = client.get(f"/r/{tampered}")

    assert response.status_code == 400
    assert "Location" not in response
    assert Click.objects.count() == 0


def test_token_signed_with_another_salt_is_rejected(client):
    forged = signing.dumps({"u": "https://evil.example", "o": 1, "s": 1, "src": "email"}, salt="something-else")

    response = client.get(f"/r/{forged}")

    assert response.status_code == 400
    assert Click.objects.count() == 0


def test_signed_non_http_target_is_rejected(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    forged = signing.dumps(
        {"u": "javascript:alert(1)", "o": order.pk, "s": order.shop_id, "src": "email"}, salt=CLICK_SALT
    )

    response = client.get(f"/r/{forged}")

    assert response.status_code == 400
    assert Click.objects.count() == 0


def test_tracked_url_refuses_non_http_targets():
    order = OrderFactory(shop__website_url=SHOP_SITE)

    with pytest.raises(ValueError, match="http"):
        tracked_url(target_url="javascript:alert(1)", order=order, source="email")


def test_campaign_of_another_shop_is_not_attributed(client):
    foreign_campaign = CampaignFactory(slug="foreign")
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/", order=order, source="email", campaign_id=foreign_campaign.pk)

    response = client.get(urlsplit(url).path)

    assert parse_qs(urlsplit(response["Location"]).query)["utm_campaign"] == ["transactional"]
    assert Click.objects.get().campaign_id is None


def test_head_request_redirects_without_counting(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/", order=order, source="email")

    response = client.head(urlsplit(url).path)

    assert response.status_code == 302
    assert Click.objects.count() == 0


def test_deleted_order_still_redirects(client):
    order = OrderFactory(shop__website_url=SHOP_SITE)
    url = tracked_url(target_url="https://shop.example/", order=order, source="email")
    order.delete()

    response = client.get(urlsplit(url).path)

    assert response.status_code == 302
    assert Click.objects.get().order_id is None
