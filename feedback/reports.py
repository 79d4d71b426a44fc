"""Feedback reports for the admin: scores per period with the change, per carrier and product category,
comments, and what scores say about repurchase.

NPS vs repurchase: each customer (email, case-insensitive) with a score in the period counts once, by their
first scored order in it. For a window of N days the customer is in the sample only when N days have passed
since that order (otherwise we cannot know yet), and "ordered again" means another order of the same shop
with the same email placed after it and at most N days later. It is a correlation: happy customers may
order again for reasons that have nothing to do with the delivery, and the samples are often small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Lower

from feedback.models import FeedbackResponse, Segment
from feedback.selectors import carrier_ratings, period_bounds, responses_between, scores_of
from shipments.models import Order, OrderItem
from shops.models import Shop

REPURCHASE_WINDOWS = (30, 90, 180)
SEGMENTS = (Segment.PROMOTER, Segment.PASSIVE, Segment.DETRACTOR)


@dataclass(frozen=True)
class PeriodScores:
    """One period's figures and their change against the period before (None when either side has none)."""

    label: str
    start: date
    end: date
    responses: int
    nps: float | None
    csat: float | None
    nps_change: float | None
    csat_change: float | None


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def period_comparison(shop: Shop, start: date, end: date) -> PeriodScores:
    """The figures of [start, end] (days, inclusive) against the same number of days just before."""
    days = (end - start).days + 1
    current = scores_of(responses_between(shop, start, end))
    before = scores_of(responses_between(shop, start - timedelta(days=days), start - timedelta(days=1)))
    return PeriodScores(
        label=f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
        start=start,
        end=end,
        responses=current["responses"],
        nps=current["nps"],
        csat=current["csat"],
        nps_change=_change(current["nps"], before["nps"]),
        csat_change=_change(current["csat"], before["csat"]),
    )


def _month_start(day: date, back: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 - back
    return date(month_index // 12, month_index % 12 + 1, 1)


def monthly_scores(shop: Shop, *, today: date, months: int = 6) -> list[PeriodScores]:
    """The last ``months`` calendar months (the current one so far included), each against the month before."""
    rows = []
    previous = None
    for back in range(months, -1, -1):
        first = _month_start(today, back)
        last = _month_start(today, back - 1) - timedelta(days=1) if back else today
        scores = scores_of(responses_between(shop, first, last))
        if previous is not None:
            rows.append(
                PeriodScores(
                    label=f"{first:%Y-%m}",
                    start=first,
                    end=last,
                    responses=scores["responses"],
                    nps=scores["nps"],
                    csat=scores["csat"],
                    nps_change=_change(scores["nps"], previous["nps"]),
                    csat_change=_change(scores["csat"], previous["csat"]),
                )
            )
        previous = scores
    return rows


def by_carrier(shop: Shop, start: date, end: date) -> list[dict]:
    """Per carrier: the order scores of its deliveries and the customers' separate rating of the carrier."""
    responses = responses_between(shop, start, end)
    ratings = carrier_ratings(shop, start, end)
    carriers = sorted(set(responses.exclude(carrier="").values_list("carrier", flat=True)) | set(ratings))
    return [
        {"carrier": carrier, **scores_of(responses.filter(carrier=carrier)), "rating": ratings.get(carrier)}
        for carrier in carriers
    ]


def by_category(shop: Shop, start: date, end: date) -> list[dict]:
    """Per product category: the scores of orders containing an item of it (an order counts in each of its)."""
    responses = responses_between(shop, start, end)
    categories = sorted(
        set(
            OrderItem.objects.filter(order__feedback_response__in=responses)
            .exclude(category="")
            .values_list("category", flat=True)
        )
    )
    return [
        {"category": category, **scores_of(responses.filter(order__items__category=category).distinct())}
        for category in categories
    ]


def comments(shop: Shop, start: date, end: date, *, search: str = "", limit: int = 50) -> list[FeedbackResponse]:
    """The period's comments, newest first, optionally only those containing ``search`` (or that order number)."""
    queryset = responses_between(shop, start, end).exclude(comment="").select_related("order")
    if search:
        queryset = queryset.filter(Q(comment__icontains=search) | Q(order__number=search))
    return list(queryset.order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class RepurchaseCell:
    customers: int  # in the sample: their window has fully passed
    reordered: int

    @property
    def share(self) -> float | None:
        return round(100 * self.reordered / self.customers, 1) if self.customers else None


def repurchase_by_segment(
    shop: Shop, start: date | datetime | None, end: date | datetime, *, now: datetime
) -> dict[str, dict[int, RepurchaseCell]]:
    """``{segment: {days: RepurchaseCell}}`` for 30/90/180 days (see the module docstring for the rules).

    ``start`` None takes every customer who scored up to ``end``: the admin's default, since a recent
    period alone has hardly anybody whose window has passed.
    """
    since, until = period_bounds(shop, start or datetime.min.replace(tzinfo=UTC), end)
    scored = (
        FeedbackResponse.objects.filter(shop=shop, created_at__gte=since, created_at__lt=until)
        .exclude(order__customer_email="")
        .annotate(email=Lower("order__customer_email"))
        .values_list("email", "order__placed_at", "order_id", "segment")
        .order_by("order__placed_at", "order_id")
    )
    anchors: dict[str, tuple[datetime, int, str]] = {}
    for email, placed_at, order_id, segment in scored:
        anchors.setdefault(email, (placed_at, order_id, segment))
    later: dict[str, list[datetime]] = defaultdict(list)
    orders = (
        Order.objects.filter(shop=shop)
        .annotate(email=Lower("customer_email"))
        .filter(email__in=list(anchors))
        .values_list("email", "placed_at", "pk")
    )
    for email, placed_at, order_id in orders:
        anchor_at, anchor_id, _ = anchors[email]
        if order_id != anchor_id and placed_at > anchor_at:
            later[email].append(placed_at)
    table: dict[str, dict[int, RepurchaseCell]] = {}
    for segment in SEGMENTS:
        row = {}
        for days in REPURCHASE_WINDOWS:
            window = timedelta(days=days)
            sample = [email for email, (at, _, seg) in anchors.items() if seg == segment and at + window <= now]
            reordered = sum(1 for email in sample if any(at <= anchors[email][0] + window for at in later[email]))
            row[days] = RepurchaseCell(customers=len(sample), reordered=reordered)
        table[segment] = row
    return table
