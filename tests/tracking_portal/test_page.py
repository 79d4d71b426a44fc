"""The order tracking page: content, privacy, languages, caching and its fixed query count."""

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shipments.services import order_touch
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory, TrackingEventFactory
from tests.tracking_portal.factories import LOCKER, order_with_events
from tracking_portal.models import ActivityKind, PageActivity
from tracking_portal.pages import recent_keys
from tracking_portal.services import page_views_flush

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def statuses(page: str) -> list[tuple[str, str]]:
    """(status code, label) of every parcel hero on the page, icon markup left out."""
    return re.findall(r'<p class="status status--(\w+)"><svg.*?</svg>(.*?)</p>', page)


def test_page_shows_status_progress_timeline_items_and_support_in_the_order_language(client, shop):
    # given an order in Polish with one parcel in transit
    order = order_with_events(shop=shop, events=2)

    # when the customer opens the page
    response = client.get(f"/t/{order.public_token}")

    # then everything is there, in Polish, with the carrier's own words
    page = html_of(response)
    assert response.status_code == 200
    assert '<html lang="pl">' in page
    assert f"Zamówienie {order.number}" in page
    assert ("in_transit", "W drodze") in statuses(page)
    assert 'aria-current="step"><span class="step-label">W drodze' in page
    assert "Przesyłka przyjęta w sortowni 1" in page
    assert "· Warszawa" in page
    assert "InPost" in page
    assert f"/t/{order.public_token}/go/carrier/1" in page
    assert 'alt="Kubek ceramiczny"' in page
    assert f"mailto:{shop.support_email}" in page


def test_page_never_shows_the_customers_email_phone_name_or_street(client, shop):
    # given an order with full customer details
    order = order_with_events(shop=shop, customer_name="Anna Kowalska", customer_phone="+48 600 100 200")

    # when the page renders
    page = html_of(client.get(f"/t/{order.public_token}"))

    # then only postcode and city identify the destination
    assert "30-001 Kraków" in page
    assert order.customer_email not in page
    assert "600 100 200" not in page
    assert "Kowalska" not in page


def test_lang_parameter_switches_language_and_unknown_values_fall_back_to_the_order_language(client, shop):
    # given a Polish order
    order = order_with_events(shop=shop)

    # when the customer asks for German, then for a language we do not have
    german = html_of(client.get(f"/t/{order.public_token}?lang=de"))
    fallback = html_of(client.get(f"/t/{order.public_token}?lang=xx"))

    # then German is served, and the unknown value falls back to Polish
    assert '<html lang="de">' in german
    assert "Bestellung" in german
    assert ("in_transit", "Unterwegs") in statuses(german)
    assert 'href="?lang=de" lang="de" hreflang="de" aria-current="true"' in german
    assert '<html lang="pl">' in fallback


@pytest.mark.parametrize(
    ("language", "label"),
    [("pl", "W drodze"), ("en", "On its way"), ("de", "Unterwegs"), ("cs", "Na cestě"), ("sk", "Na ceste")],
)
def test_every_supported_language_renders(client, shop, language, label):
    order = order_with_events(shop=shop)

    page = html_of(client.get(f"/t/{order.public_token}?lang={language}"))

    assert f'<html lang="{language}">' in page
    assert statuses(page) == [("in_transit", label)]


def test_split_and_return_shipments_are_labelled(client, shop):
    # given an order with two outbound parcels and one return
    order = OrderFactory(shop=shop, locale="en")
    ShipmentFactory(order=order, status="delivered", delivered_at=datetime(2026, 11, 4, 12, tzinfo=UTC))
    ShipmentFactory(order=order, status="in_transit")
    ShipmentFactory(order=order, status="in_transit", direction="return")

    # when the page renders
    page = html_of(client.get(f"/t/{order.public_token}"))

    # then each parcel says which it is
    assert "Your order travels in 2 parcels." in page
    assert "Parcel 1 of 2" in page
    assert "Parcel 2 of 2" in page
    assert "Return to the shop" in page
    assert 'class="card parcel parcel--return"' in page
    assert "Delivered Wed, Nov 4, 1:00" in page


def test_pickup_point_shows_name_address_hours_and_a_plain_openstreetmap_link(client, shop):
    order = OrderFactory(shop=shop, locale="en")
    ShipmentFactory(order=order, status="available_for_pickup", pickup_point=LOCKER)

    page = html_of(client.get(f"/t/{order.public_token}"))

    assert "Paczkomat KRA01M" in page
    assert "ul. Długa 12" in page
    assert "Opening hours: 24/7" in page
    assert "https://www.openstreetmap.org/?mlat=50.068600&amp;mlon=19.939000#map=18/50.068600/19.939000" in page
    assert 'aria-current="step"><span class="step-label">Ready for pickup' in page
    assert "<iframe" not in page


def test_a_passed_eta_is_shown_as_late_never_as_upcoming(client, shop):
    # given a parcel whose ETA window ended yesterday
    order = OrderFactory(shop=shop, locale="en")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    ShipmentFactory(order=order, status="in_transit", eta_from=yesterday - timedelta(hours=4), eta_to=yesterday)

    page = html_of(client.get(f"/t/{order.public_token}"))

    assert '<span class="badge">Late</span> It was expected by' in page
    assert "Expected delivery" not in page


def test_an_upcoming_eta_is_shown_as_a_window(client, shop):
    order = OrderFactory(shop=shop, locale="en")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    ShipmentFactory(order=order, status="in_transit", eta_from=tomorrow, eta_to=tomorrow + timedelta(hours=4))

    page = html_of(client.get(f"/t/{order.public_token}"))

    assert re.search(r"Expected delivery: \w+, \w+ \d+, \d+:\d\d\s?[AP]M\u2013\d+:\d\d\s?[AP]M", page)
    assert "Late" not in page


def test_unknown_token_and_inactive_shop_give_the_same_404(client, shop):
    order = order_with_events(shop=ShopFactory(is_active=False))

    unknown = client.get("/t/" + "A" * 32)
    inactive = client.get(f"/t/{order.public_token}")

    assert unknown.status_code == inactive.status_code == 404
    assert "This tracking link is not valid" in html_of(unknown)


def test_security_headers_forbid_inline_script_and_allow_exactly_the_theme_style(client, shop):
    order = order_with_events(shop=shop)

    response = client.get(f"/t/{order.public_token}")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    style = re.search(r"<style>(.*?)</style>", html_of(response), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert "<script>" not in html_of(response)
    assert " style=" not in html_of(response)


def test_unreadable_brand_text_colour_is_replaced_by_a_readable_one(client):
    # given a shop with light grey text on white
    shop = ShopFactory(text_color="#DDDDDD", background_color="#FFFFFF", primary_color="#FFFF00")
    order = order_with_events(shop=shop)

    page = html_of(client.get(f"/t/{order.public_token}"))

    # then the page uses near-black text and does not use yellow for links
    assert "--pf-text:#111111" in page
    assert "--pf-link:#111111" in page
    assert "--pf-on-primary:#111111" in page


def test_uncached_page_runs_the_same_number_of_queries_for_1_and_200_events(client, shop):
    # given an order with one event and one with 200 events
    small = order_with_events(shop=shop, events=1)
    big = order_with_events(shop=shop, events=200)

    # when both pages render uncached (nothing cached by the first helps the second)
    cache.clear()
    with CaptureQueriesContext(connection) as small_queries:
        small_response = client.get(f"/t/{small.public_token}")
    cache.clear()
    with CaptureQueriesContext(connection) as big_queries:
        big_response = client.get(f"/t/{big.public_token}")

    # then both cost the same number of queries
    assert small_response.status_code == big_response.status_code == 200
    assert "Przesyłka przyjęta w sortowni 199" in html_of(big_response)
    assert len(small_queries) == len(big_queries), (
        [query["sql"][:90] for query in small_queries],
        [query["sql"][:90] for query in big_queries],
    )


def test_query_count_does_not_grow_with_the_number_of_parcels(client, shop):
    one = order_with_events(shop=shop, events=3)
    four = order_with_events(shop=shop, events=3)
    for _ in range(3):
        ShipmentFactory(order=four, status="in_transit")

    cache.clear()
    with CaptureQueriesContext(connection) as one_queries:
        client.get(f"/t/{one.public_token}")
    cache.clear()
    with CaptureQueriesContext(connection) as four_queries:
        client.get(f"/t/{four.public_token}")

    assert len(one_queries) == len(four_queries)


def test_cached_page_costs_one_query_until_the_order_version_changes(client, shop):
    # given a rendered page
    order = order_with_events(shop=shop)
    client.get(f"/t/{order.public_token}")

    # when it is viewed again, then after a shipment update
    with CaptureQueriesContext(connection) as cached:
        again = client.get(f"/t/{order.public_token}")
    TrackingEventFactory(shipment=order.shipments.get(), text="Wydano do doręczenia", status="out_for_delivery")
    order_touch(order_id=order.pk)
    with CaptureQueriesContext(connection) as refreshed:
        updated = client.get(f"/t/{order.public_token}")

    # then the cached view was a single small query, and the new version shows the new event
    assert len(cached) == 1
    assert "Wydano do doręczenia" not in html_of(again)
    assert "Wydano do doręczenia" in html_of(updated)
    assert len(refreshed) > 1


def test_branding_change_invalidates_the_cached_page(client, shop):
    order = order_with_events(shop=shop)
    client.get(f"/t/{order.public_token}")

    shop.primary_color = "#0B6E4F"
    shop.save()
    page = html_of(client.get(f"/t/{order.public_token}"))

    assert "--pf-primary:#0B6E4F" in page


def test_page_views_are_counted_per_order_without_personal_data(client, shop):
    order = order_with_events(shop=shop)

    for _ in range(3):
        client.get(f"/t/{order.public_token}")
    written = page_views_flush()

    activity = PageActivity.objects.get(order=order, kind=ActivityKind.VIEW)
    assert written == 3
    assert activity.count == 3
    assert activity.shop_id == shop.pk


def test_carrier_link_records_the_click_and_redirects_to_the_carriers_page(client, shop):
    order = order_with_events(shop=shop)
    shipment = order.shipments.get()

    response = client.get(f"/t/{order.public_token}/go/carrier/1")

    assert response.status_code == 302
    assert shipment.tracking_number in response["Location"]
    assert response["Location"].startswith("https://")
    assert PageActivity.objects.get(order=order, kind=ActivityKind.CARRIER_LINK).count == 1


def test_carrier_link_for_a_parcel_that_does_not_exist_is_404_and_records_nothing(client, shop):
    order = order_with_events(shop=shop)

    response = client.get(f"/t/{order.public_token}/go/carrier/5")

    assert response.status_code == 404
    assert not PageActivity.objects.exists()


def test_support_link_records_the_click(client):
    shop = ShopFactory(support_url="https://help.example.com/contact")
    order = order_with_events(shop=shop)

    page = html_of(client.get(f"/t/{order.public_token}"))
    response = client.get(f"/t/{order.public_token}/go/support")

    assert f"/t/{order.public_token}/go/support" in page
    assert response["Location"] == "https://help.example.com/contact"
    assert PageActivity.objects.get(order=order, kind=ActivityKind.SUPPORT_LINK).count == 1


def test_parcel_page_shows_status_but_no_order_details_or_items(client, shop):
    order = order_with_events(shop=shop)
    shipment = order.shipments.get()

    page = html_of(client.get(f"/p/{shipment.public_token}"))

    assert "W drodze" in page
    assert "Przesyłka przyjęta w sortowni 0" in page
    assert order.number not in page
    assert "Kubek ceramiczny" not in page
    assert "30-001" not in page
    assert "szczegóły zamówienia są ukryte" in page


def test_page_weight_without_images_is_under_100_kb(client, shop, settings):
    # given a busy order (200 events) and the static files the page loads
    order = order_with_events(shop=shop, events=200)
    html = client.get(f"/t/{order.public_token}").content
    static_dir = settings.BASE_DIR / "static" / "tracking_portal"
    css = (static_dir / "page.css").read_bytes()
    script = (static_dir / "page.js").read_bytes()

    assert len(html) + len(css) + len(script) < 100 * 1024


def test_views_of_an_order_deleted_before_the_flush_are_skipped(client, shop):
    kept = order_with_events(shop=shop)
    deleted = order_with_events(shop=shop)
    client.get(f"/t/{kept.public_token}")
    client.get(f"/t/{deleted.public_token}")
    deleted.delete()

    written = page_views_flush()

    assert written == 1
    assert list(PageActivity.objects.values_list("order_id", "count")) == [(kept.pk, 1)]


def test_item_links_that_are_not_web_urls_are_dropped(client, shop):
    # given an item whose stored URLs bypassed validation
    order = order_with_events(shop=shop)
    order.items.update(product_url="javascript:alert(1)", image_url="javascript:alert(2)")

    page = html_of(client.get(f"/t/{order.public_token}"))

    assert "javascript:" not in page
    assert "Kubek ceramiczny" in page


def test_content_language_matches_the_page(client, shop):
    order = order_with_events(shop=shop)

    response = client.get(f"/t/{order.public_token}?lang=cs")

    assert response["Content-Language"] == "cs"


def test_a_hot_orders_version_is_read_at_most_once_per_second_per_process(client, shop, settings):
    # given the production setting: a page key is reused for a second
    settings.TRACKING_PORTAL_KEY_SECONDS = 1.0
    order = order_with_events(shop=shop)
    client.get(f"/t/{order.public_token}")

    # when the order changes and the page is asked for again within the second, then after it
    TrackingEventFactory(shipment=order.shipments.get(), text="Wydano do doręczenia", status="out_for_delivery")
    order_touch(order_id=order.pk)
    with CaptureQueriesContext(connection) as within:
        soon = html_of(client.get(f"/t/{order.public_token}"))
    recent_keys.clear()  # what the second passing does
    later = html_of(client.get(f"/t/{order.public_token}"))

    # then the repeat cost no query and the change shows as soon as the second is over
    assert len(within) == 0
    assert "Wydano do doręczenia" not in soon
    assert "Wydano do doręczenia" in later


def test_a_reason_tells_the_customer_more_than_the_status(client, shop):
    # given a parcel in transit because it is held at customs
    order = order_with_events(shop=shop, events=1)
    order.shipments.update(reason="customs")
    order_touch(order_id=order.pk)

    # when the customer opens the page in Polish and in German
    polish = html_of(client.get(f"/t/{order.public_token}"))
    german = html_of(client.get(f"/t/{order.public_token}?lang=de"))

    # then the explanation says customs, not the generic "on its way"
    assert '<p class="explanation">Twoja paczka przechodzi odprawę celną.</p>' in polish
    assert "Twoja paczka jest w sieci przewoźnika." not in polish
    assert '<p class="explanation">Dein Paket wird gerade verzollt.</p>' in german
