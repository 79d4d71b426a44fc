"""The lookup form: order number + email or postcode, tracking number only, no enumeration, rate limits."""

import pytest

from tests.factories import OrderFactory, ShipmentFactory, ShopFactory

pytestmark = pytest.mark.django_db


def lookup(client, shop, ip="203.0.113.5", **data):
    return client.post(f"/{shop.slug}/track", data, REMOTE_ADDR=ip)


def test_lookup_form_renders_in_the_shops_language(client, shop):
    response = client.get(f"/{shop.slug}/track")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="pl">' in page
    assert "Numer zamówienia" in page
    assert "csrfmiddlewaretoken" in page
    assert response["Referrer-Policy"] == "same-origin"


def test_order_number_and_email_in_any_case_lead_to_the_order_page(client, shop):
    order = OrderFactory(shop=shop, number="PF-1001", customer_email="anna@example.com")

    response = lookup(client, shop, number=" PF-1001 ", secret="Anna@Example.COM ")

    assert response.status_code == 303
    assert response["Location"] == f"/t/{order.public_token}?lang=pl"


def test_order_number_and_postcode_written_differently_lead_to_the_order_page(client, shop):
    order = OrderFactory(shop=shop, number="PF-1002", shipping_postcode="30-001")

    response = lookup(client, shop, number="PF-1002", secret="30 001")

    assert response["Location"] == f"/t/{order.public_token}?lang=pl"


def test_wrong_email_and_unknown_order_get_the_same_answer(client, shop):
    # given an existing order
    OrderFactory(shop=shop, number="PF-1003", customer_email="anna@example.com")

    # when someone tries a wrong email for it, and an order number that does not exist
    wrong_email = lookup(client, shop, number="PF-1003", secret="eve@example.com")
    unknown_order = lookup(client, shop, number="PF-9999", secret="eve@example.com")

    # then both answers are identical apart from the echoed order number (and the CSRF token)
    def normalized(response, number):
        page = response.content.decode().replace(number, "NUMBER")
        return "".join(line for line in page.splitlines() if "csrfmiddlewaretoken" not in line)

    assert wrong_email.status_code == unknown_order.status_code == 200
    assert "Location" not in wrong_email
    assert "Location" not in unknown_order
    assert normalized(wrong_email, "PF-1003") == normalized(unknown_order, "PF-9999")
    assert "Nie znaleźliśmy zamówienia o tych danych" in wrong_email.content.decode()


def test_an_empty_stored_email_never_matches_an_empty_answer(client, shop):
    OrderFactory(shop=shop, number="PF-1004", customer_email="", shipping_postcode="")

    response = lookup(client, shop, number="PF-1004", secret="")

    assert response.status_code == 200
    assert "Location" not in response
    assert "Nie znaleźliśmy zamówienia o tych danych" in response.content.decode()


def test_another_shops_order_is_not_found_through_this_shops_form(client, shop, other_shop):
    OrderFactory(shop=other_shop, number="PF-1005", customer_email="anna@example.com")

    response = lookup(client, shop, number="PF-1005", secret="anna@example.com")

    assert response.status_code == 200
    assert "Location" not in response
    assert "Nie znaleźliśmy zamówienia o tych danych" in response.content.decode()


def test_tracking_number_lookup_leads_to_the_parcel_page_without_order_details(client, shop):
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620111222333444555666777")

    response = lookup(client, shop, tracking_number="6201 1122 2333 4445 5566 6777")

    assert response.status_code == 303
    assert response["Location"] == f"/p/{shipment.public_token}?lang=pl"


def test_unknown_tracking_number_says_so(client, shop):
    response = lookup(client, shop, tracking_number="NOPE")

    assert response.status_code == 200
    assert "Location" not in response
    assert "Nie znaleźliśmy w tym sklepie paczki o tym numerze." in response.content.decode()


def test_lookups_are_limited_per_client(client, shop, settings):
    # given a client that used up its attempts on different order numbers
    for attempt in range(settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT):
        assert lookup(client, shop, number=f"X-{attempt}", secret="a@b.c").status_code == 200

    # when it tries once more, even with correct details
    order = OrderFactory(shop=shop, number="PF-2000", customer_email="anna@example.com")
    response = lookup(client, shop, number="PF-2000", secret="anna@example.com")

    # then it gets a clear 429 page and no redirect to the order
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.TRACKING_PORTAL_LOOKUP_WINDOW_SECONDS)
    assert "Zbyt wiele prób" in response.content.decode()
    assert order.public_token not in response.content.decode()
    # and another client is not affected
    assert lookup(client, shop, ip="198.51.100.7", number="PF-2000", secret="anna@example.com").status_code == 303


def test_lookups_are_limited_per_order_across_clients(client, shop, settings):
    OrderFactory(shop=shop, number="PF-3000", customer_email="anna@example.com")
    for attempt in range(settings.TRACKING_PORTAL_LOOKUPS_PER_ORDER):
        lookup(client, shop, ip=f"192.0.2.{attempt}", number="PF-3000", secret=f"guess{attempt}@example.com")

    response = lookup(client, shop, ip="192.0.2.200", number="PF-3000", secret="anna@example.com")

    assert response.status_code == 429


def test_unknown_or_inactive_shop_has_no_lookup(client):
    inactive = ShopFactory(is_active=False)

    assert client.get("/no-such-shop/track").status_code == 404
    assert client.get(f"/{inactive.slug}/track").status_code == 404


def test_client_address_comes_from_x_forwarded_for_only_behind_configured_proxies(rf, settings):
    from shops.public_pages import client_ip

    request = rf.post("/x/track", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.1", REMOTE_ADDR="10.0.0.2")

    settings.TRACKING_PORTAL_PROXY_COUNT = 0
    direct = client_ip(request)
    settings.TRACKING_PORTAL_PROXY_COUNT = 1
    behind_one = client_ip(request)

    assert direct == "10.0.0.2"
    assert behind_one == "203.0.113.1"
