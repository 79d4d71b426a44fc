"""Acting on settled feedback: the feedback.received webhook, the detractor alert email, the campaign reaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.dispatch import campaign_dispatches_claim
from campaigns.models import CampaignDispatch
from campaigns.placements import page_placements
from campaigns.reactions import feedback_detractor_react
from feedback.alerts import feedback_settled_announce
from feedback.models import FeedbackResponse, FeedbackSettings
from feedback.services import FollowUp, response_follow_up_save, response_score_record
from notifications.content import message_content
from notifications.models import Message
from tests.campaigns.factories import CampaignFactory
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "api.emit_webhook_event"
CAMPAIGN = "campaigns.react_to_feedback_detractor"


def _settle(now):
    return now + timedelta(minutes=10)


def _announce(capture, now):
    with capture(execute=True):
        return feedback_settled_announce(now=_settle(now))


def test_a_settled_detractor_sends_the_webhook_the_support_alert_and_the_campaign_reaction(
    delivered_order, published, django_capture_on_commit_callbacks
):
    # given a detractor score with a comment and an answer
    now = timezone.now()
    response = response_score_record(order=delivered_order, score=3, language="pl", now=now)
    response_follow_up_save(
        response=response, follow_up=FollowUp(comment="Paczka zgnieciona", answers={"packaging": False}), now=now
    )

    # when the sweep runs after the response settled
    announced = _announce(django_capture_on_commit_callbacks, now)

    # then one webhook with the whole response, one campaign reaction, and one alert to support
    assert announced == 1
    webhooks = [kwargs for name, kwargs in published if name == WEBHOOK]
    assert len(webhooks) == 1
    assert webhooks[0]["event_type"] == "feedback.received"
    assert webhooks[0]["data"]["score"] == 3
    assert webhooks[0]["data"]["segment"] == "detractor"
    assert webhooks[0]["data"]["comment"] == "Paczka zgnieciona"
    assert webhooks[0]["data"]["answers"] == {"packaging": False}
    assert "customer_email" not in str(webhooks[0]["data"])
    assert [kwargs for name, kwargs in published if name == CAMPAIGN] == [{"order_id": delivered_order.pk}]
    alert = Message.objects.get(trigger_kind="feedback_alert")
    assert (alert.to_email, alert.template, alert.order_id) == (
        delivered_order.shop.support_email,
        "feedback_alert",
        delivered_order.pk,
    )
    content = message_content(alert)
    rendered = content.rendered
    assert rendered.subject == "Niezadowolony klient: zamówienie ZI-1001 oceniono na 3 z 10"
    assert "Paczka zgnieciona" in rendered.text
    assert "Opakowanie: Źle" in rendered.text
    assert "Wypisz" not in rendered.html and content.unsubscribe_url not in rendered.html


def test_nothing_is_announced_before_the_response_settles(
    delivered_order, published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    response_score_record(order=delivered_order, score=2, language="pl", now=now)

    with django_capture_on_commit_callbacks(execute=True):
        announced = feedback_settled_announce(now=now + timedelta(seconds=30))

    assert announced == 0
    assert published == []
    assert not Message.objects.exists()


def test_a_promoter_gets_the_webhook_but_no_alert_and_a_rerun_adds_nothing(
    delivered_order, published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    response_score_record(order=delivered_order, score=10, language="pl", now=now)

    first = _announce(django_capture_on_commit_callbacks, now)
    again = _announce(django_capture_on_commit_callbacks, now)

    assert (first, again) == (1, 0)
    assert [name for name, _ in published] == [WEBHOOK]
    assert not Message.objects.exists()


def test_a_changed_score_is_announced_again_but_support_is_alerted_once(
    delivered_order, published, django_capture_on_commit_callbacks
):
    # given a detractor announced once
    now = timezone.now()
    response_score_record(order=delivered_order, score=1, language="pl", now=now)
    _announce(django_capture_on_commit_callbacks, now)

    # when the customer changes the score a day later, still a detractor
    later = now + timedelta(days=1)
    response_score_record(order=delivered_order, score=4, language="pl", now=later)
    _announce(django_capture_on_commit_callbacks, later)

    # then two webhooks (one per revision), one alert, one campaign reaction
    webhooks = [kwargs["dedupe_key"] for name, kwargs in published if name == WEBHOOK]
    response = FeedbackResponse.objects.get()
    assert webhooks == [f"feedback:{response.pk}:1", f"feedback:{response.pk}:2"]
    assert Message.objects.filter(trigger_kind="feedback_alert").count() == 1
    assert [name for name, _ in published].count(CAMPAIGN) == 1


def test_the_alert_goes_to_the_configured_address_or_not_at_all(
    delivered_order, shop, published, django_capture_on_commit_callbacks
):
    # given a shop that turned detractor alerts off
    FeedbackSettings.objects.create(shop=shop, alert_detractors=False)
    now = timezone.now()
    response_score_record(order=delivered_order, score=0, language="pl", now=now)

    # when it settles
    _announce(django_capture_on_commit_callbacks, now)

    # then no alert email, but the webhook and the campaign reaction still happen
    assert not Message.objects.exists()
    assert {name for name, _ in published} == {WEBHOOK, CAMPAIGN}


def test_the_detractor_campaign_respects_consent_and_runs_once_per_order(shop):
    # given a detractor campaign and two scored customers, one without marketing consent
    campaign = CampaignFactory(shop=shop, trigger_type="feedback_detractor", trigger_status="")
    consenting = OrderFactory(shop=shop, email_marketing_consent=True)
    refusing = OrderFactory(shop=shop, email_marketing_consent=False)
    for order in (consenting, refusing):
        parcel = ShipmentFactory(order=order, status="delivered")
        StatusChangeFactory(shipment=parcel, to_status="delivered")

    # when the reaction is asked for both, twice
    counts = [feedback_detractor_react(order_id=order.pk) for order in (consenting, refusing, consenting)]

    # then only the consenting customer gets one dispatch, due now, anchored on the delivery
    assert counts == [1, 0, 0]
    dispatch = CampaignDispatch.objects.get()
    assert (dispatch.campaign_id, dispatch.order_id, dispatch.status_change.to_status) == (
        campaign.pk,
        consenting.pk,
        "delivered",
    )


def test_the_detractor_campaign_never_fires_on_a_status_change_or_on_the_page(shop):
    # given a detractor campaign shown on the page and a delivered order
    CampaignFactory(shop=shop, trigger_type="feedback_detractor", trigger_status="", show_on_page=True)
    order = OrderFactory(shop=shop)
    parcel = ShipmentFactory(order=order, status="delivered")
    change = StatusChangeFactory(shipment=parcel, to_status="delivered")

    # when the delivery is processed and the page is shown
    sends = campaign_dispatches_claim(status_change=change)
    placements = page_placements(order=order, language="pl")

    # then nothing of the campaign is sent or shown
    assert sends == []
    assert placements.campaign_id is None
    assert not CampaignDispatch.objects.exists()
