"""Tracking links: one absolute URL per order and per parcel, by URL name, on the public base URL."""

import pytest

from shipments.links import order_page_url, order_tracking_url, shipment_tracking_url
from tests.factories import OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def test_order_link_is_the_order_page_on_the_public_base_url(shop, settings):
    # given a deployment served at a public base URL
    settings.PUBLIC_BASE_URL = "https://track.parcelfront.example"
    order = OrderFactory(shop=shop)

    # when its tracking link is built
    url = order_tracking_url(order)

    # then it is the absolute order page
    assert url == f"https://track.parcelfront.example/t/{order.public_token}"


def test_the_base_url_is_read_at_call_time(shop, settings):
    order = OrderFactory(shop=shop)

    settings.PUBLIC_BASE_URL = "https://one.example"
    first = order_tracking_url(order)
    settings.PUBLIC_BASE_URL = "https://two.example"
    second = order_tracking_url(order)

    assert first == f"https://one.example/t/{order.public_token}"
    assert second == f"https://two.example/t/{order.public_token}"


def test_a_request_host_such_as_a_custom_domain_replaces_the_base_url(shop, settings):
    # given an order and the host a page request came to (with the trailing slash build_absolute_uri gives)
    settings.PUBLIC_BASE_URL = "https://track.parcelfront.example"
    order = OrderFactory(shop=shop)

    # when the link is built for that host
    url = order_tracking_url(order, base_url="https://track.shop.example/")

    # then it stays on the host, with no doubled slash
    assert url == f"https://track.shop.example/t/{order.public_token}"


def test_parcel_link_is_the_parcel_page(shop, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    shipment = ShipmentFactory(order=OrderFactory(shop=shop))

    assert shipment_tracking_url(shipment) == f"http://127.0.0.1:8000/p/{shipment.public_token}"


def test_a_bare_token_gives_the_same_order_link(shop, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    order = OrderFactory(shop=shop)

    assert order_page_url(token=order.public_token) == order_tracking_url(order)
