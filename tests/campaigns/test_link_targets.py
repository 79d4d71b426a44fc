"""Tracked links redirect only to the shop's own sites, and only for a limited time."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from campaigns.links import tracked_url
from campaigns.models import Click
from tests.campaigns.factories import ProductFactory
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.mark.parametrize(
    "target",
    [
        "https://shop.example/p/1",
        "https://www.shop.example/",
        "https://blog.shop.example/post",
        "https://pick.example/",
    ],
)
def test_links_to_the_shops_own_sites_redirect(client, target):
    # given a shop with a website, a custom domain and a product on a third host
    order = OrderFactory(shop__website_url="https://shop.example", shop__custom_domain="track.shop.example")
    ProductFactory(shop=order.shop, url="https://pick.example/p/9")
    url = tracked_url(target_url=target, order=order, source="email")

    # when the customer clicks
    response = client.get(_path(url))

    # then they go straight there
    assert response.status_code == 302
    assert response["Location"].startswith(target.rstrip("/"))


def test_a_link_to_a_foreign_site_opens_a_leaving_page_and_never_redirects(client):
    # given a shop whose marketer linked to a site that is not the shop's
    order = OrderFactory(shop__website_url="https://shop.example", locale="en")
    ProductFactory(shop=order.shop, url="https://shop.example/p/1")
    url = tracked_url(target_url="https://evil.example/login", order=order, source="email")

    # when the customer clicks
    response = client.get(_path(url))

    # then they see where the link leads and choose, on our domain
    assert response.status_code == 200
    assert "Location" not in response
    page = response.content.decode()
    assert "This link leads to another website" in page
    assert "Continue to evil.example" in page
    assert 'href="https://evil.example/login?utm_source=parcelfront' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert Click.objects.count() == 1


def test_the_leaving_page_speaks_the_customers_language(client):
    order = OrderFactory(locale="pl")
    url = tracked_url(target_url="https://elsewhere.example/", order=order, source="page")

    page = client.get(_path(url)).content.decode()

    assert "Ten link prowadzi do innej strony internetowej" in page
    assert "Przejdź do elsewhere.example" in page


def test_a_host_merely_containing_the_shops_domain_is_foreign(client):
    order = OrderFactory(shop__website_url="https://shop.example")
    url = tracked_url(target_url="https://shop.example.evil.example/", order=order, source="email")

    response = client.get(_path(url))

    assert response.status_code == 200
    assert "Location" not in response


def test_an_expired_link_is_refused_and_records_nothing(client, settings):
    # given a link made 181 days ago, with links valid for 180 days
    settings.CAMPAIGN_LINK_MAX_AGE_DAYS = 180
    order = OrderFactory(shop__website_url="https://shop.example")
    with time_machine.travel(timezone.now() - timedelta(days=181), tick=False):
        url = tracked_url(target_url="https://shop.example/p/1", order=order, source="email")

    # when it is clicked today
    response = client.get(_path(url))

    # then it is refused
    assert response.status_code == 400
    assert "Location" not in response
    assert Click.objects.count() == 0


def test_a_link_within_its_lifetime_still_works(client, settings):
    settings.CAMPAIGN_LINK_MAX_AGE_DAYS = 180
    order = OrderFactory(shop__website_url="https://shop.example")
    with time_machine.travel(timezone.now() - timedelta(days=179), tick=False):
        url = tracked_url(target_url="https://shop.example/p/1", order=order, source="email")

    assert client.get(_path(url)).status_code == 302
