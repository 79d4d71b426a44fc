"""Reads of feedback: settings, the response behind a score link, what the page prompts, and the figures
other apps read (``score_summary`` and ``carrier_ratings`` are the analytics dashboard's interface).

Periods: ``start``/``end`` as dates are whole days in the shop's time zone, both inclusive; as datetimes
they are the half-open interval [start, end). A response counts in the period of its first score.
NPS = % promoters (9-10) - % detractors (0-6) of the NPS responses; CSAT = % of CSAT responses with
4 or 5 stars (the satisfaction rate). Either is None without responses on its scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.urls import reverse

from feedback.models import SCALE_RANGES, CarrierRating, FeedbackResponse, FeedbackSettings
from shipments.lateness import shop_zone
from shipments.links import feedback_token, feedback_token_order_id
from shipments.models import Order
from shops.models import FeedbackScale, Shop


def feedback_settings_for(*, shop_id: int) -> FeedbackSettings:
    """The shop's feedback settings, or the defaults (unsaved) when it never changed them."""
    return FeedbackSettings.objects.filter(shop_id=shop_id).first() or FeedbackSettings(shop_id=shop_id)


def order_for_feedback_token(*, token: str) -> Order | None:
    """The order of a score link (with shop, parcels and its response), or None for a foreign token."""
    order_id = feedback_token_order_id(token)
    if order_id is None:
        return None
    return (
        Order.objects.select_related("shop", "feedback_response")
        .prefetch_related("shipments")
        .filter(pk=order_id, shop__is_active=True)
        .first()
    )


def response_of(order: Order) -> FeedbackResponse | None:
    try:
        return order.feedback_response
    except FeedbackResponse.DoesNotExist:
        return None


@dataclass(frozen=True)
class ScorePrompt:
    """The score links the tracking page shows once delivered: (score, path) pairs and what was given."""

    scale: str
    choices: tuple[tuple[int, str], ...]
    given: int | None
    page_path: str


def score_prompt(*, order: Order) -> ScorePrompt:
    """What the tracking page shows to ask for (or thank for) the order's score."""
    response = response_of(order)
    scale = response.scale if response is not None else order.shop.feedback_scale
    path = reverse("feedback:page", args=[feedback_token(order_id=order.pk)])
    low, high = SCALE_RANGES[scale]
    return ScorePrompt(
        scale=scale,
        choices=tuple((score, f"{path}?score={score}") for score in range(low, high + 1)),
        given=response.score if response is not None else None,
        page_path=path,
    )


def sample_score_prompt(*, scale: str) -> ScorePrompt:
    """The prompt of the admin's page preview: the shop's scale with links that go nowhere."""
    low, high = SCALE_RANGES[scale]
    return ScorePrompt(scale=scale, choices=tuple((n, "#") for n in range(low, high + 1)), given=None, page_path="#")


def period_bounds(shop: Shop, start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """[start, end) as aware datetimes; dates are whole days in the shop's zone with ``end`` included."""
    zone = shop_zone(shop)
    if not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=zone)
    if not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def responses_between(shop: Shop, start: date | datetime, end: date | datetime) -> QuerySet[FeedbackResponse]:
    since, until = period_bounds(shop, start, end)
    return FeedbackResponse.objects.filter(shop=shop, created_at__gte=since, created_at__lt=until)


def scores_of(responses: QuerySet[FeedbackResponse]) -> dict:
    """responses, nps and csat (see the module docstring) of a queryset of responses, in one query."""
    counts = responses.aggregate(
        responses=Count("pk"),
        nps_n=Count("pk", filter=Q(scale=FeedbackScale.NPS)),
        nps_promoters=Count("pk", filter=Q(scale=FeedbackScale.NPS, score__gte=9)),
        nps_detractors=Count("pk", filter=Q(scale=FeedbackScale.NPS, score__lte=6)),
        csat_n=Count("pk", filter=Q(scale=FeedbackScale.CSAT)),
        csat_satisfied=Count("pk", filter=Q(scale=FeedbackScale.CSAT, score__gte=4)),
    )
    nps_n, csat_n = counts["nps_n"], counts["csat_n"]
    return {
        "responses": counts["responses"],
        "nps": round(100 * (counts["nps_promoters"] - counts["nps_detractors"]) / nps_n, 1) if nps_n else None,
        "csat": round(100 * counts["csat_satisfied"] / csat_n, 1) if csat_n else None,
    }


def score_summary(shop: Shop, start: date | datetime, end: date | datetime) -> dict:
    """``dict(responses=int, nps=float|None, csat=float|None)`` of the responses first given in the period."""
    return scores_of(responses_between(shop, start, end))


def carrier_ratings(shop: Shop, start: date | datetime, end: date | datetime) -> dict[str, dict]:
    """``{carrier_code: dict(count=int, average=float)}`` of the 1-5 carrier ratings first given in the period."""
    since, until = period_bounds(shop, start, end)
    rows = (
        CarrierRating.objects.filter(shop=shop, created_at__gte=since, created_at__lt=until)
        .values("carrier")
        .annotate(count=Count("pk"), average=Avg("score"))
        .order_by("carrier")
    )
    return {row["carrier"]: {"count": row["count"], "average": round(float(row["average"]), 2)} for row in rows}
