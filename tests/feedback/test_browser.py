"""The score link in Debian's Chromium: from a stored delivered email, click 9, answer two questions, leave;
3 on another order; the report's NPS and the detractor alert follow; a scanner's prefetch casts no vote."""

import os
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from feedback.alerts import feedback_settled_announce
from feedback.models import FeedbackAnswer, FeedbackResponse
from feedback.selectors import score_summary
from notifications.models import Message
from notifications.sending import message_send
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, ShopFactory, StatusChangeFactory
from tests.notifications.factories import MessageFactory
from tests.returns.test_browser import axe_serious
from tests.tracking_portal.test_browser import browser, watched_page  # noqa: F401 (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stored_delivered_email(shop, number):
    """A delivered order whose delivered email went out (stored on its Message, as the admin shows it)."""
    order = OrderFactory(shop=shop, number=number, locale="en", customer_email=f"{number}@example.com")
    OrderItemFactory(order=order, category="coffee")
    parcel = ShipmentFactory(order=order, carrier="inpost", status="delivered")
    change = StatusChangeFactory(shipment=parcel, to_status="delivered")
    message = MessageFactory(status_change=change, language="en")
    message_send(message_id=message.pk)
    return order, Message.objects.get(pk=message.pk)


def score_link(message, score):
    return re.search(rf'href="([^"]+/f/[^"]+\?score={score})"', message.html_body).group(1)


def test_a_customer_scores_from_the_email_answers_two_questions_and_the_shop_hears_of_it(
    watched_page,  # noqa: F811 (the fixture imported above)
    live_server,
    settings,
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    shop = ShopFactory(name="Kawiarnia Domowa", slug="kawiarnia", support_email="pomoc@kawiarnia.example")
    _, happy_email = stored_delivered_email(shop, "KD-3001")
    unhappy, unhappy_email = stored_delivered_email(shop, "KD-3002")

    # given a mail scanner that prefetches every link of both emails
    scanner = Client()
    for message in (happy_email, unhappy_email):
        for url in re.findall(r'href="([^"]+/f/[^"]+)"', message.html_body):
            assert scanner.get(url.replace(live_server.url, "")).status_code == 200
    assert FeedbackResponse.objects.count() == 0

    # when the customer clicks 9 in the stored email, answers two questions and leaves the page
    page = watched_page
    page.goto(score_link(happy_email, 9))
    status = page.locator("#thanks")
    status.filter(has_text="Thank you! Your answer is saved.").wait_for()
    assert axe_serious(page) == []
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("group", name="The courier").get_by_label("Good", exact=True).check()
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("group", name="The packaging").get_by_label("Not good").check()
    page.goto("about:blank")

    # and another customer clicks 3 in theirs
    page.goto(score_link(unhappy_email, 3))
    page.locator("#thanks").filter(has_text="Thank you! Your answer is saved.").wait_for()
    page.goto("about:blank")

    # then both votes and the two answers are stored
    assert dict(FeedbackResponse.objects.values_list("order__number", "score")) == {"KD-3001": 9, "KD-3002": 3}
    assert dict(FeedbackAnswer.objects.values_list("question", "thumbs_up")) == {"courier": True, "packaging": False}
    # the report's NPS: one promoter, one detractor of two
    now = timezone.now()
    assert score_summary(shop, now - timedelta(days=1), now + timedelta(minutes=1)) == {
        "responses": 2,
        "nps": 0.0,
        "csat": None,
    }
    # and once settled, support is alerted about the detractor only
    feedback_settled_announce(now=now + timedelta(minutes=10))
    alert = Message.objects.get(trigger_kind="feedback_alert")
    assert (alert.order_id, alert.to_email) == (unhappy.pk, "pomoc@kawiarnia.example")
    assert page.console_errors == [] and page.foreign_requests == []


def test_without_javascript_the_button_records_the_score(browser, live_server, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    shop = ShopFactory(slug="bez-js")
    _, email = stored_delivered_email(shop, "BJ-1")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(score_link(email, 7))
    assert FeedbackResponse.objects.count() == 0
    page.get_by_role("button", name="Save my score").click()

    page.locator("#thanks").filter(has_text="Thank you! Your answer is saved.").wait_for()
    assert FeedbackResponse.objects.get().score == 7
    context.close()
