"""Feedback through the API: list with filters and cursors, tenant isolation, and the feedback.received webhook."""

from datetime import UTC, datetime, timedelta

import pytest

from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import webhook_event_emit
from feedback.alerts import feedback_payload
from feedback.models import FeedbackAnswer, FeedbackResponse
from tests.feedback.history import scored_order

pytestmark = pytest.mark.django_db
D0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def scored(shop, n, score, *, comment="", carrier="inpost", scale="nps"):
    order = scored_order(
        shop, email=f"c{n}@example.com", placed_at=D0 + timedelta(hours=n), score=score, carrier=carrier, scale=scale
    )
    FeedbackResponse.objects.filter(order=order).update(comment=comment)
    return FeedbackResponse.objects.get(order=order)


def test_list_filters_by_segment_score_carrier_and_comment(api, shop):
    # given responses of several kinds
    wanted = scored(shop, 1, 2, comment="Paczka zgnieciona", carrier="dpd")
    FeedbackAnswer.objects.create(response=wanted, question="packaging", thumbs_up=False, answered_at=D0)
    scored(shop, 2, 2, carrier="dpd")
    scored(shop, 3, 9, comment="Super", carrier="dpd")
    scored(shop, 4, 1, comment="Źle", carrier="inpost")

    # when the shop asks for DPD detractors with a comment
    response = api.get("/feedback", {"segment": "detractor", "carrier": "dpd", "with_comment": "true", "max_score": 6})

    # then exactly that one comes back, with its answers and no customer identity
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [wanted.pk]
    assert items[0]["answers"] == {"packaging": False}
    assert items[0]["comment"] == "Paczka zgnieciona"
    assert items[0]["order"] == {"number": wanted.order.number}
    assert "customer_email" not in response.content.decode()


def test_cursor_pages_through_every_response_once(api, shop):
    ids = [scored(shop, n, n % 11).pk for n in range(7)]

    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/feedback", params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(ids) and len(seen) == 7


@pytest.mark.parametrize(
    "params",
    [{"colour": "red"}, {"cursor": "not-ours"}, {"min_score": "11"}, {"segment": "fan"}, {"limit": "0"}],
)
def test_bad_filters_are_validation_problems(api, shop, params):
    response = api.get("/feedback", params)

    assert response.status_code == 422


def test_another_shops_feedback_is_never_listed(api, other_api, shop, other_shop):
    scored(other_shop, 1, 0, comment="secret")

    assert api.get("/feedback").json()["items"] == []
    assert [item["comment"] for item in other_api.get("/feedback").json()["items"]] == ["secret"]


def test_a_cursor_of_the_shipment_list_is_refused(api, shop):
    from api.selectors import cursor_encode

    foreign = cursor_encode(updated_at=D0, shipment_id=1)

    assert api.get("/feedback", {"cursor": foreign}).status_code == 422


def test_feedback_received_reaches_subscribed_endpoints_only(shop):
    # given two endpoints, one subscribed to feedback
    listening = WebhookEndpoint.objects.create(
        shop=shop, url="https://hooks.example/feedback", event_types=["feedback.received"]
    )
    WebhookEndpoint.objects.create(shop=shop, url="https://hooks.example/other", event_types=["shipment.delivered"])
    response = scored(shop, 1, 4, comment="Kurier spóźniony")

    # when the event is emitted (what api.emit_webhook_event does for the feedback app)
    webhook_event_emit(
        shop=shop,
        event_type="feedback.received",
        data=feedback_payload(response),
        dedupe_key=f"feedback:{response.pk}:1",
    )

    # then one event, delivered to the subscribed endpoint only
    event = WebhookEvent.objects.get(event_type="feedback.received")
    assert event.payload["data"]["score"] == 4
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [listening.pk]
