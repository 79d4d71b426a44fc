"""Acting on feedback once a response has settled: the ``feedback.received`` webhook, the support alert
for detractors (an email through notifications), and the campaigns that react to detractors.

Settled = unchanged for ``FEEDBACK_SETTLE_SECONDS``: the click records the score at once, and the comment
or a changed score usually follows within a minute; announcing then gives one webhook and one alert with
the whole story. Each revision is announced once (``announced_revision``); the alert and the campaign
reaction once per response (``alerted_at``). Webhooks go to api by task name, like the watchlist's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from config.celery import publish_on_commit
from feedback.models import CarrierRating, FeedbackResponse, Segment
from feedback.questions import QUESTIONS
from feedback.selectors import feedback_settings_for
from notifications.models import MessageChannel
from notifications.outbox import message_request
from shipments.links import order_tracking_url
from shops.languages import language_or_default

WEBHOOK_TASK = "api.emit_webhook_event"
DETRACTOR_CAMPAIGN_TASK = "campaigns.react_to_feedback_detractor"
ALERT_TRIGGER = "feedback_alert"
ALERT_TEMPLATE = "feedback_alert"


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def feedback_payload(response: FeedbackResponse) -> dict[str, Any]:
    """What webhooks and the API say about a response (no customer name or email: the order number leads there)."""
    return {
        "id": response.pk,
        "order": {"number": response.order.number},
        "scale": response.scale,
        "score": response.score,
        "segment": response.segment,
        "comment": response.comment,
        "language": response.language,
        "carrier": response.carrier,
        "answers": {answer.question: answer.thumbs_up for answer in response.answers.all()},
        "carrier_ratings": [
            {"carrier": rating.carrier, "tracking_number": rating.shipment.tracking_number, "score": rating.score}
            for rating in _carrier_ratings(response)
        ],
        "source": response.source,
        "created_at": _stamp(response.created_at),
        "updated_at": _stamp(response.updated_at),
    }


def _carrier_ratings(response: FeedbackResponse) -> list[CarrierRating]:
    """The order's carrier ratings (prefetch ``order__shipments__carrier_rating`` to read them without queries)."""
    ratings = []
    for shipment in sorted(response.order.shipments.all(), key=lambda shipment: shipment.pk):
        try:
            ratings.append(shipment.carrier_rating)
        except CarrierRating.DoesNotExist:
            continue
    return ratings


def feedback_settled_announce(*, now: datetime | None = None, limit: int = 200) -> int:
    """Announce the responses that changed and then settled; returns how many were announced.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so overlapping ticks take different rows; the
    webhook is keyed per response revision, the support message per response, so a rerun adds nothing.
    """
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settings.FEEDBACK_SETTLE_SECONDS)
    with transaction.atomic():
        due = list(
            FeedbackResponse.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(revision__gt=F("announced_revision"), updated_at__lte=settled_before)
            .select_related("order", "shop")
            .prefetch_related("answers", "order__shipments__carrier_rating")
            .order_by("updated_at", "pk")[:limit]
        )
        for response in due:
            _announce(response, now=now)
    return len(due)


def _announce(response: FeedbackResponse, *, now: datetime) -> None:
    publish_on_commit(
        WEBHOOK_TASK,
        shop_id=response.shop_id,
        event_type="feedback.received",
        data=feedback_payload(response),
        dedupe_key=f"feedback:{response.pk}:{response.revision}",
    )
    fields = {"announced_revision": response.revision}
    if response.segment == Segment.DETRACTOR and response.alerted_at is None:
        support_alert_request(response=response)
        publish_on_commit(DETRACTOR_CAMPAIGN_TASK, order_id=response.order_id)
        fields["alerted_at"] = now
    FeedbackResponse.objects.filter(pk=response.pk).update(**fields)


def support_alert_request(*, response: FeedbackResponse) -> bool:
    """Ask notifications for the shop's support email about a detractor, once; False when it is off or has no address."""
    shop = response.shop
    conf = feedback_settings_for(shop_id=shop.pk)
    recipient = conf.alert_email or shop.support_email
    if not conf.alert_detractors or not recipient:
        return False
    order = response.order
    language = language_or_default(shop.locale)
    with translation.override(language):
        answers = [[str(QUESTIONS.get(a.question, a.question)), a.thumbs_up] for a in response.answers.all()]
    message_request(
        shop=shop,
        trigger_kind=ALERT_TRIGGER,
        trigger_id=response.pk,
        channel=MessageChannel.EMAIL,
        recipient=recipient,
        template=ALERT_TEMPLATE,
        language=language,
        order=order,
        context={
            "order_number": order.number,
            "score": response.score,
            "scale_max": 10 if response.scale == "nps" else 5,
            "comment": response.comment,
            "carrier": response.carrier,
            "answers": answers,
            "tracking_url": order_tracking_url(order),
            "given_at": _stamp(response.created_at),
        },
    )
    return True
