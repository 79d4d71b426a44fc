"""Custom domains by Host header, the widget JSON with CORS, and the score links once delivered."""

import json

import pytest

from feedback.models import FeedbackResponse
from feedback.services import FeedbackClosed, response_score_record
from shipments.links import feedback_token
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory
from tests.tracking_portal.factories import order_with_events

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


def test_score_links_appear_after_delivery_and_the_page_thanks_once_scored(client, shop):
    # given a delivered order of an NPS shop
    order = OrderFactory(shop=shop, locale="en")
    ShipmentFactory(order=order, status="delivered")
    page = client.get(f"/t/{order.public_token}").content.decode()

    # when the customer's score is recorded (by the feedback page's POST)
    client.post(f"/f/{feedback_token(order_id=order.pk)}", {"score": "9"}, HTTP_ACCEPT="application/json")

    # then the page showed 0-10 as signed score links, and now thanks instead of asking again
    token = feedback_token(order_id=order.pk)
    assert "How likely are you to recommend us to a friend?" in page
    assert all(f'href="/f/{token}?score={n}&amp;lang=en"' in page for n in range(11))
    after = client.get(f"/t/{order.public_token}").content.decode()
    assert "Thank you for your feedback!" in after
    assert "?score=" not in after


def test_no_score_links_before_delivery(client, shop):
    in_transit = order_with_events(shop=shop)

    page = client.get(f"/t/{in_transit.public_token}").content.decode()

    assert "/f/" not in page
    assert not FeedbackResponse.objects.exists()


def test_the_widget_on_a_custom_domain_links_to_the_page_on_that_domain(client, branded_shop):
    order = order_with_events(shop=branded_shop)

    body = client.get(f"/t/{order.public_token}.json", HTTP_HOST="track.example.com").json()

    assert body["page_url"] == f"http://track.example.com/t/{order.public_token}"


def test_the_score_service_refuses_an_order_without_a_delivered_parcel(shop):
    # given an order whose only parcel is still on its way
    order = OrderFactory(shop=shop)
    ShipmentFactory(order=order, status="in_transit")

    # when a valid score is submitted, then it is refused and nothing is stored
    with pytest.raises(FeedbackClosed):
        response_score_record(order=order, score=5, language="en")
    assert not FeedbackResponse.objects.exists()


def test_scores_are_open_once_any_parcel_of_the_order_is_delivered(shop):
    order = OrderFactory(shop=shop)
    ShipmentFactory(order=order, status="in_transit")
    ShipmentFactory(order=order, status="delivered", carrier="dpd")

    response = response_score_record(order=order, score=3, language="en")

    assert (response.order_id, response.score, response.carrier) == (order.pk, 3, "dpd")
