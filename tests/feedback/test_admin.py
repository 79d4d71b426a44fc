"""The admin: the report for owners and marketers only, each shop's own data; settings validated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import FeedbackResponse, FeedbackSettings
from tests.factories import MembershipFactory
from tests.feedback.history import scored_order

pytestmark = pytest.mark.django_db
REPORT = "/admin/feedback/feedbackresponse/report/"


def _recent(shop, email, score, comment=""):
    order = scored_order(shop, email=email, placed_at=timezone.now() - timedelta(days=5), score=score)
    FeedbackResponse.objects.filter(order=order).update(comment=comment)
    return order


@pytest.mark.parametrize("role", ["owner", "marketer"])
def test_owners_and_marketers_read_their_shops_report(client, shop, role):
    # given a promoter and a detractor with a comment this month
    client.force_login(MembershipFactory(shop=shop, role=role).user)
    _recent(shop, "a@example.com", 10)
    _recent(shop, "b@example.com", 3, comment="Kurier zgubił paczkę")

    # when the report is opened
    response = client.get(REPORT)

    # then it shows the period's NPS, the comment and the honest note on repurchase
    page = response.content.decode()
    assert response.status_code == 200
    assert '<tr id="period-scores">\n    <td>2</td>\n    <td>0.0</td>' in page
    assert "Kurier zgubił paczkę" in page
    assert "Correlation, not causation." in page


def test_support_cannot_read_the_report(client, shop, support):
    client.force_login(support)

    assert client.get(REPORT).status_code == 403


def test_the_report_never_shows_another_shops_data(client, shop, other_shop, marketer):
    # given a comment in another shop
    _recent(other_shop, "x@example.com", 0, comment="Tajemnica innego sklepu")
    client.force_login(marketer)

    # when the marketer of the first shop opens the report, even naming the other shop
    page = client.get(REPORT, {"shop": other_shop.pk, "q": "Tajemnica"}).content.decode()
    listing = client.get("/admin/feedback/feedbackresponse/", {"q": "Tajemnica"}).content.decode()

    # then the other shop's data appears nowhere
    assert "Tajemnica innego sklepu" not in page
    assert other_shop.name not in page
    assert "Tajemnica innego sklepu" not in listing


def test_comments_are_searchable_in_the_list(client, shop, support):
    _recent(shop, "a@example.com", 2, comment="Opakowanie mokre")
    _recent(shop, "b@example.com", 9, comment="Wszystko super")
    client.force_login(support)

    listing = client.get("/admin/feedback/feedbackresponse/", {"q": "mokre"}).content.decode()

    assert "Opakowanie mokre" in listing and "Wszystko super" not in listing


def test_a_bad_period_falls_back_with_an_error(client, shop, owner):
    client.force_login(owner)

    page = client.get(REPORT, {"start": "2026-13-01", "end": "2026-01-01"}).content.decode()

    assert "Give a start and an end date" in page


def test_settings_take_at_most_six_questions(client, shop, marketer):
    client.force_login(marketer)
    too_many = ["product", "delivery_speed", "courier", "packaging", "tracking_updates", "price", "ordering"]

    refused = client.post(
        "/admin/feedback/feedbacksettings/add/", {"shop": shop.pk, "questions": too_many, "alert_detractors": "on"}
    )
    saved = client.post(
        "/admin/feedback/feedbacksettings/add/",
        {"shop": shop.pk, "questions": ["packaging", "courier"], "review_url": "https://g.page/r/review"},
    )

    assert refused.status_code == 200 and "Choose at most 6 questions." in refused.content.decode()
    assert saved.status_code == 302
    conf = FeedbackSettings.objects.get(shop=shop)
    assert (conf.questions, conf.review_url, conf.alert_detractors) == (
        ["courier", "packaging"],
        "https://g.page/r/review",
        False,
    )


def test_a_marketer_cannot_create_settings_for_another_shop(client, shop, other_shop, marketer):
    client.force_login(marketer)

    response = client.post("/admin/feedback/feedbacksettings/add/", {"shop": other_shop.pk, "questions": ["price"]})

    assert response.status_code == 200
    assert not FeedbackSettings.objects.exists()
