"""Custom domains by Host header, the widget JSON with CORS, and delivery feedback."""

import json

import pytest

from tests.factories import OrderFactory, ShipmentFactory, ShopFactory
from tests.tracking_portal.factories import order_with_events
from tracking_portal.models import DeliveryFeedback
from tracking_portal.selectors import order_accepts_feedback
from tracking_portal.services import FeedbackClosed, delivery_feedback_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded_shop(db):
    return ShopFactory(custom_domain="track.example.com", website_url="https://www.example.com/")


def test_custom_domain_serves_its_own_orders_and_its_lookup(client, branded_shop):
    order = order_with_events(shop=branded_shop)

    page = client.get(f"/t/{order.public_token}", HTTP_HOST="track.example.com")
    form = client.get("/track", HTTP_HOST="track.example.com")
    root = client.get("/", HTTP_HOST="track.example.com")

    assert page.status_code == 200
    assert 'href="/track?lang=pl"' in page.content.decode()
    assert form.status_code == 200
    assert branded_shop.name in form.content.decode()
    assert root.status_code == 302
    assert root["Location"] == "/track"


def test_custom_domain_never_serves_another_shops_order_or_the_admin(client, branded_shop, shop):
    foreign = order_with_events(shop=shop)

    page = client.get(f"/t/{foreign.public_token}", HTTP_HOST="track.example.com")
    admin = client.get("/admin/login/", HTTP_HOST="track.example.com")

    assert page.status_code == 404
    assert admin.status_code == 404


def test_track_on_the_platform_host_is_404(client, shop):
    assert client.get("/track").status_code == 404


def test_widget_json_has_status_and_no_personal_data(client, shop):
    order = order_with_events(shop=shop, events=3)

    response = client.get(f"/t/{order.public_token}.json?lang=en")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["order_number"] == order.number
    assert body["shipments"][0]["status_label"] == "On its way"
    assert body["shipments"][0]["latest_event"]["text"] == "Przesyłka przyjęta w sortowni 2"
    assert body["page_url"] == f"http://testserver/t/{order.public_token}"
    raw = response.content.decode()
    for private in (order.customer_email, order.customer_phone, order.customer_name, order.shipping_postcode):
        assert private not in raw


def test_widget_cors_allows_only_the_shops_own_domains(client, branded_shop):
    order = order_with_events(shop=branded_shop)
    url = f"/t/{order.public_token}.json"

    website = client.get(url, HTTP_ORIGIN="https://www.example.com")
    domain = client.get(url, HTTP_ORIGIN="https://track.example.com")
    stranger = client.get(url, HTTP_ORIGIN="https://evil.example.net")
    plain_http = client.get(url, HTTP_ORIGIN="http://www.example.com")

    assert website["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert domain["Access-Control-Allow-Origin"] == "https://track.example.com"
    assert "Access-Control-Allow-Origin" not in stranger
    assert "Access-Control-Allow-Origin" not in plain_http
    assert website["Vary"].count("Origin") == 1


def test_unknown_token_json_is_404(client):
    response = client.get("/t/" + "B" * 32 + ".json")

    assert response.status_code == 404
    assert "Access-Control-Allow-Origin" not in response


def test_feedback_prompt_appears_after_delivery_and_the_rating_is_stored(client, shop):
    # given a delivered order
    order = OrderFactory(shop=shop, locale="en")
    ShipmentFactory(order=order, status="delivered")
    page = client.get(f"/t/{order.public_token}").content.decode()

    # when the customer rates it
    response = client.post(f"/t/{order.public_token}/feedback", {"rating": "4", "comment": " Fast!  ", "lang": "en"})

    # then it is stored and the page thanks instead of asking again
    assert "How was your delivery?" in page
    assert response.status_code == 303
    assert response["Location"] == f"/t/{order.public_token}?lang=en#feedback"
    feedback = DeliveryFeedback.objects.get(order=order)
    assert (feedback.rating, feedback.comment, feedback.shop_id) == (4, "Fast!", shop.pk)
    after = client.get(f"/t/{order.public_token}").content.decode()
    assert "Thank you for your feedback!" in after
    assert 'name="rating"' not in after


def test_feedback_before_delivery_or_with_a_bad_rating_is_refused(client, shop):
    in_transit = order_with_events(shop=shop)
    delivered = OrderFactory(shop=shop)
    ShipmentFactory(order=delivered, status="delivered")

    early = client.post(f"/t/{in_transit.public_token}/feedback", {"rating": "5"})
    bad = client.post(f"/t/{delivered.public_token}/feedback", {"rating": "9"})

    assert early.status_code == 404
    assert bad.status_code == 400
    assert not DeliveryFeedback.objects.exists()


def test_the_widget_on_a_custom_domain_links_to_the_page_on_that_domain(client, branded_shop):
    order = order_with_events(shop=branded_shop)

    body = client.get(f"/t/{order.public_token}.json", HTTP_HOST="track.example.com").json()

    assert body["page_url"] == f"http://track.example.com/t/{order.public_token}"


def test_the_feedback_service_refuses_an_order_without_a_delivered_parcel(shop):
    # given an order whose only parcel is still on its way
    order = OrderFactory(shop=shop)
    ShipmentFactory(order=order, status="in_transit")

    # when a valid rating is submitted, then it is refused and nothing is stored
    with pytest.raises(FeedbackClosed):
        delivery_feedback_submit(order=order, rating=5)
    assert not DeliveryFeedback.objects.exists()


def test_feedback_is_open_once_any_parcel_of_the_order_is_delivered(shop):
    order = OrderFactory(shop=shop)
    ShipmentFactory(order=order, status="in_transit")
    ShipmentFactory(order=order, status="delivered")

    feedback = delivery_feedback_submit(order=order, rating=3, comment="ok")

    assert order_accepts_feedback(order=order) is True
    assert (feedback.order_id, feedback.rating, feedback.comment) == (order.pk, 3, "ok")
