"""The score link: GET shows the page and records nothing (mail scanners); the page's POST records the vote."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import CarrierRating, FeedbackAnswer, FeedbackResponse, FeedbackSettings
from shipments.links import feedback_score_url, feedback_token, feedback_token_order_id
from tests.factories import OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def test_the_token_is_signed_per_order_with_at_least_128_bits(delivered_order):
    # given the order's score-link token
    token = feedback_token(order_id=delivered_order.pk)

    # then its signature carries 256 bits, it leads back to the order, and a changed signature leads nowhere
    order_id, signature = token.split(":")
    assert len(signature) * 6 >= 256 - 6
    assert feedback_token_order_id(token) == delivered_order.pk
    assert feedback_token_order_id(f"{order_id}:{'A' * 43}") is None
    assert feedback_token_order_id(f"{order_id + '1'}:{signature}") is None


def test_a_mail_scanners_get_casts_no_vote(client, token):
    # when a scanner prefetches every link of the delivered email
    for score in range(11):
        response = client.get(f"/f/{token}?score={score}")
        assert response.status_code == 200

    # then nothing is recorded
    assert FeedbackResponse.objects.count() == 0


def test_the_page_prefills_the_score_in_the_customers_language(client, token):
    # when the customer opens the link for 9
    page = client.get(f"/f/{token}?score=9").content.decode()

    # then the page is Polish (the order's language), 9 is checked and the page will record it once shown
    assert '<html lang="pl">' in page
    assert re.search(r'name="score" value="9" checked', page)
    assert 'data-record="1"' in page
    assert "feedback/feedback.js" in page


def test_the_post_records_the_vote_and_a_second_click_updates_it(client, token, delivered_order):
    # when the page posts 9, then the customer clicks 3 in the email and that page posts 3
    first = client.post(f"/f/{token}", {"score": "9"}, HTTP_ACCEPT="application/json")
    second = client.post(f"/f/{token}", {"score": "3"}, HTTP_ACCEPT="application/json")

    # then there is one response for the order, with the last score
    assert (first.json()["promoter"], second.json()["promoter"]) == (True, False)
    response = FeedbackResponse.objects.get()
    assert (response.order_id, response.scale, response.score, response.segment, response.carrier) == (
        delivered_order.pk,
        "nps",
        3,
        "detractor",
        "inpost",
    )
    assert response.revision == 2


def test_the_plain_button_records_without_javascript(client, token):
    # when the form is posted by its button
    response = client.post(f"/f/{token}?lang=en", {"score": "10", "lang": "en", "save": "score"})

    # then the vote is stored and the page thanks the customer
    assert response.status_code == 303
    assert FeedbackResponse.objects.get().score == 10
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you! Your answer is saved." in thanks


def test_answers_are_saved_as_given_and_partial_answers_kept(client, token):
    # given a score
    client.post(f"/f/{token}", {"score": "8"}, HTTP_ACCEPT="application/json")

    # when the customer answers two questions one by one, then changes one, and rates the carrier
    client.post(f"/f/{token}", {"q_courier": "up"}, HTTP_ACCEPT="application/json")
    client.post(f"/f/{token}", {"q_packaging": "down"}, HTTP_ACCEPT="application/json")
    client.post(f"/f/{token}", {"q_courier": "down", "carrier_1": "4"}, HTTP_ACCEPT="application/json")

    # then both answers are kept with the latest value, and the carrier has its own rating
    answers = dict(FeedbackAnswer.objects.values_list("question", "thumbs_up"))
    assert answers == {"courier": False, "packaging": False}
    assert list(CarrierRating.objects.values_list("carrier", "score")) == [("inpost", 4)]
    assert FeedbackResponse.objects.get().score == 8


def test_the_comment_is_sanitized(client, token):
    # when the comment carries markup and control characters
    client.post(
        f"/f/{token}",
        {"score": "2", "comment": "<script>alert(1)</script>Late <b>again</b>\x00 &amp; broken"},
        HTTP_ACCEPT="application/json",
    )

    # then only its text is kept
    assert FeedbackResponse.objects.get().comment == "Late again & broken"


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"score": "11"}, 0),
        ({"score": "-1"}, 0),
        ({"score": "nine"}, 0),
        ({"q_courier": "up"}, 0),  # answers before any score
        ({"score": "7", "q_unknown": "up"}, 0),  # an unknown question stores nothing, the score neither
        ({"score": "7", "q_courier": "maybe"}, 0),
        ({"score": "7", "carrier_2": "4"}, 0),  # a parcel the order does not have
        ({"score": "7", "carrier_1": "6"}, 0),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(client, token, fields, stored):
    response = client.post(f"/f/{token}", fields, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert FeedbackResponse.objects.count() == stored
    assert FeedbackAnswer.objects.count() == CarrierRating.objects.count() == 0


def test_a_bad_score_without_javascript_shows_the_page_again_with_the_error(client, token):
    response = client.post(f"/f/{token}?lang=en", {"score": "12", "lang": "en"})

    assert response.status_code == 400
    assert "Please choose one of the scores shown." in response.content.decode()


def test_csat_shops_ask_for_one_to_five_stars(client, shop, token):
    # given a shop that asks for CSAT
    shop.feedback_scale = "csat"
    shop.save()

    # when the page is shown and 0 or 5 is posted
    page = client.get(f"/f/{token}?score=5&lang=en").content.decode()
    zero = client.post(f"/f/{token}", {"score": "0"}, HTTP_ACCEPT="application/json")
    five = client.post(f"/f/{token}", {"score": "5"}, HTTP_ACCEPT="application/json")

    # then the scale is 1-5 and only 5 is stored
    assert 'name="score" value="0"' not in page and 'name="score" value="5" checked' in page
    assert (zero.status_code, five.status_code) == (400, 200)
    assert FeedbackResponse.objects.values_list("scale", "score", "segment").get() == ("csat", 5, "promoter")


def test_no_vote_before_delivery(client, shop):
    # given an order still on its way
    order = OrderFactory(shop=shop)
    ShipmentFactory(order=order, status="in_transit")
    token = feedback_token(order_id=order.pk)

    # when its link is opened and posted
    page = client.get(f"/f/{token}?score=9")
    vote = client.post(f"/f/{token}", {"score": "9"})

    # then the survey is closed and nothing is stored
    assert (page.status_code, vote.status_code) == (410, 410)
    assert FeedbackResponse.objects.count() == 0


def test_a_response_is_editable_for_30_days_only(client, token):
    # given a response given 31 days ago
    client.post(f"/f/{token}", {"score": "9"}, HTTP_ACCEPT="application/json")
    FeedbackResponse.objects.update(created_at=timezone.now() - timedelta(days=31))

    # when the customer tries to change it
    response = client.post(f"/f/{token}", {"score": "2"}, HTTP_ACCEPT="application/json")

    # then it is refused and the score stays
    assert response.status_code == 410
    assert FeedbackResponse.objects.get().score == 9


def test_a_forged_or_foreign_token_is_not_found(client, delivered_order, other_shop):
    # given a token whose signature was changed
    forged = f"{delivered_order.pk}:{'x' * 43}"

    # then GET and POST find nothing, and nothing is stored
    assert client.get(f"/f/{forged}?score=9").status_code == 404
    assert client.post(f"/f/{forged}", {"score": "9"}).status_code == 404
    assert FeedbackResponse.objects.count() == 0


def test_another_shops_custom_domain_does_not_serve_the_link(client, token, other_shop):
    # given the other shop's own domain
    other_shop.custom_domain = "track.other.example"
    other_shop.save()

    # when the first shop's score link is asked for on it
    response = client.get(f"/f/{token}?score=9", HTTP_HOST="track.other.example")

    # then it is not found there
    assert response.status_code == 404


def test_posts_are_rate_limited(client, token, settings):
    settings.FEEDBACK_POSTS_PER_ORDER = 3

    codes = [client.post(f"/f/{token}", {"score": "9"}, HTTP_ACCEPT="application/json").status_code for _ in range(5)]

    assert codes == [200, 200, 200, 429, 429]


def test_the_score_url_is_absolute_and_carries_the_score(delivered_order, settings):
    settings.PUBLIC_BASE_URL = "https://track.example"

    url = feedback_score_url(order_id=delivered_order.pk, score=7)

    assert url.startswith("https://track.example/f/") and url.endswith("?score=7")


def test_promoters_see_the_shops_review_link_and_detractors_do_not(client, shop, token):
    # given a shop with a review link
    FeedbackSettings.objects.create(shop=shop, review_url="https://g.page/r/shop/review")

    # when a customer scores 10, then changes to 4
    promoter = client.post(f"/f/{token}", {"score": "10"}, HTTP_ACCEPT="application/json").json()
    as_promoter = client.get(f"/f/{token}?lang=en").content.decode()
    detractor = client.post(f"/f/{token}", {"score": "4"}, HTTP_ACCEPT="application/json").json()
    as_detractor = client.get(f"/f/{token}?lang=en").content.decode()

    # then the link is shown to the promoter only (the script un-hides it after the vote from the JSON)
    assert (promoter["promoter"], detractor["promoter"]) == (True, False)
    assert '<p id="review" class="review">' in as_promoter
    assert '<p id="review" class="review" hidden>' in as_detractor
    assert "https://g.page/r/shop/review" in as_detractor  # present for the script, hidden


def test_the_shops_questions_are_asked_in_the_customers_language(client, shop, token):
    FeedbackSettings.objects.create(shop=shop, questions=["packaging", "price"])

    page = client.get(f"/f/{token}?lang=de").content.decode()

    assert "<legend>Die Verpackung</legend>" in page and "<legend>Der Preis</legend>" in page
    assert "Der Zusteller" not in page.split("carrier-heading")[0]


def test_a_question_the_shop_does_not_ask_is_refused(client, shop, token):
    FeedbackSettings.objects.create(shop=shop, questions=["packaging"])

    response = client.post(f"/f/{token}", {"score": "8", "q_courier": "up"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert FeedbackResponse.objects.count() == 0


def test_score_link_tokens_never_reach_the_logs(token):
    from tracking_portal.security import mask_tokens

    assert mask_tokens(f'"GET /f/{token}?score=9 HTTP/1.1" 200') == '"GET /f/[token]?score=9 HTTP/1.1" 200'
