"""Reports against generated histories with known answers: scores, changes, carriers, categories, repurchase."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from feedback.models import FeedbackResponse
from feedback.reports import by_carrier, by_category, comments, period_comparison, repurchase_by_segment
from feedback.selectors import carrier_ratings, score_summary
from tests.factories import ShopFactory
from tests.feedback.history import carrier_rating, later_order, scored_order

pytestmark = pytest.mark.django_db

D0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = D0 + timedelta(days=200)


def day(n):
    return D0 + timedelta(days=n)


@pytest.fixture
def history(shop, other_shop):
    """Ten NPS customers with known later orders, two CSAT answers without email, noise in another shop."""
    known = [
        ("p1@example.com", 9, [20]),
        ("p2@example.com", 10, [60]),
        ("p3@example.com", 9, []),
        ("n1@example.com", 7, [100]),
        ("n2@example.com", 8, []),
        ("d1@example.com", 2, []),
        ("d2@example.com", 5, [10]),
        ("d3@example.com", 0, [150]),
        ("d4@example.com", 6, []),
    ]
    for email, score, reorders in known:
        scored_order(shop, email=email, placed_at=day(0), score=score)
        for offset in reorders:
            # d3's later order spells the address in capitals: the same customer.
            later_order(shop, email=email.upper() if email.startswith("d3") else email, placed_at=day(offset))
    # d4 ordered before the scored order too: an earlier order is no repurchase.
    later_order(shop, email="d4@example.com", placed_at=day(-30))
    # r1 ordered 40 days ago and again 35 days later: only the 30-day window has passed, and it missed it.
    scored_order(shop, email="r1@example.com", placed_at=NOW - timedelta(days=40), score=9)
    later_order(shop, email="r1@example.com", placed_at=NOW - timedelta(days=5))
    # p3 ordered again, but in another shop: not this shop's repurchase.
    later_order(other_shop, email="p3@example.com", placed_at=day(5))
    scored_order(other_shop, email="x@example.com", placed_at=day(0), score=0)
    # CSAT answers (migrated ratings) without an email: in the scores, not in the repurchase table.
    scored_order(shop, email="", placed_at=day(1), score=5, scale="csat", carrier="dpd", category="tea")
    scored_order(shop, email="", placed_at=day(1), score=3, scale="csat", carrier="dpd", category="coffee")
    return shop


def test_repurchase_by_segment_matches_the_known_history(history):
    table = repurchase_by_segment(history, day(-10), NOW, now=NOW)

    shares = {
        segment: {days: (cell.reordered, cell.customers, cell.share) for days, cell in row.items()}
        for segment, row in table.items()
    }
    assert shares == {
        "promoter": {30: (1, 4, 25.0), 90: (2, 3, 66.7), 180: (2, 3, 66.7)},
        "passive": {30: (0, 2, 0.0), 90: (0, 2, 0.0), 180: (1, 2, 50.0)},
        "detractor": {30: (1, 4, 25.0), 90: (1, 4, 25.0), 180: (2, 4, 50.0)},
    }


def test_score_summary_counts_nps_and_csat_apart(history):
    summary = score_summary(history, day(-10), NOW)

    # NPS: 4 promoters (9, 10, 9, 9) and 4 detractors (2, 5, 0, 6) of 10; CSAT: one of two with 4-5 stars
    assert summary == {"responses": 12, "nps": 0.0, "csat": 50.0}


def test_score_summary_takes_dates_as_whole_days_in_the_shops_zone(shop):
    # given answers at 23:30 UTC on 31 March (already 1 April in Warsaw) and on 1 April
    scored_order(shop, email="a@example.com", placed_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC), score=10)
    scored_order(shop, email="b@example.com", placed_at=datetime(2026, 3, 29, 12, 0, tzinfo=UTC), score=0)

    march = score_summary(shop, date(2026, 3, 1), date(2026, 3, 31))
    april = score_summary(shop, date(2026, 4, 1), date(2026, 4, 30))

    assert march == {"responses": 0, "nps": None, "csat": None}
    assert april == {"responses": 2, "nps": 0.0, "csat": None}


def test_period_comparison_shows_the_change_against_the_period_before(shop):
    scored_order(shop, email="a@example.com", placed_at=day(-3), score=10)  # answered on day 0: this period
    scored_order(shop, email="b@example.com", placed_at=day(-3), score=3)
    scored_order(shop, email="c@example.com", placed_at=day(-40), score=10)  # answered on day -37: the one before

    period = period_comparison(shop, day(-29).date(), day(0).date())

    assert (period.responses, period.nps, period.nps_change, period.csat, period.csat_change) == (
        2,
        0.0,
        -100.0,
        None,
        None,
    )


def test_carrier_ratings_per_carrier_within_the_period_and_the_shop(shop, other_shop):
    carrier_rating(shop, carrier="inpost", score=5, at=day(1))
    carrier_rating(shop, carrier="inpost", score=4, at=day(2))
    carrier_rating(shop, carrier="dpd", score=1, at=day(3))
    carrier_rating(shop, carrier="dpd", score=5, at=day(90))  # outside the period
    carrier_rating(other_shop, carrier="inpost", score=1, at=day(1))

    ratings = carrier_ratings(shop, day(0), day(30))

    assert ratings == {"dpd": {"count": 1, "average": 1.0}, "inpost": {"count": 2, "average": 4.5}}


def test_reports_per_carrier_and_category(history):
    carriers = {row["carrier"]: row for row in by_carrier(history, day(-10), NOW)}
    categories = {row["category"]: row for row in by_category(history, day(-10), NOW)}

    assert (carriers["inpost"]["responses"], carriers["inpost"]["nps"]) == (10, 0.0)
    assert (carriers["dpd"]["responses"], carriers["dpd"]["csat"]) == (2, 50.0)
    assert categories == {
        "coffee": {"category": "coffee", "responses": 1, "nps": None, "csat": 0.0},
        "tea": {"category": "tea", "responses": 1, "nps": None, "csat": 100.0},
    }


def test_comments_are_searchable_and_stay_in_their_shop(shop, other_shop):
    mine = scored_order(shop, email="a@example.com", placed_at=day(0), score=2)
    FeedbackResponse.objects.filter(order=mine).update(comment="Kurier rzucił paczką")
    theirs = scored_order(other_shop, email="b@example.com", placed_at=day(0), score=2)
    FeedbackResponse.objects.filter(order=theirs).update(comment="Kurier był miły")

    found = comments(shop, day(-1), day(10), search="kurier")

    assert [response.comment for response in found] == ["Kurier rzucił paczką"]


def test_repurchase_against_a_random_history_and_a_plain_reference(db):
    # given a seeded random history: 150 customers, some with several scored and unscored orders
    rng = random.Random(20261201)
    shop = ShopFactory()
    orders = []  # (email, placed_at, score or None)
    for index in range(150):
        email = f"c{index}@example.com"
        first = day(rng.randint(0, 150))
        for position in range(rng.randint(1, 4)):
            placed = first + timedelta(days=rng.randint(1, 200) if position else 0)
            score = rng.randint(0, 10) if position == 0 or rng.random() < 0.3 else None
            if score is None:
                later_order(shop, email=email, placed_at=placed)
            else:
                scored_order(shop, email=email, placed_at=placed, score=score, answered_after=2)
            orders.append((email, placed, score))
    now = day(260)

    # when the table is computed for everything answered so far
    table = repurchase_by_segment(shop, day(-10), now, now=now)

    # then it equals the plain definition
    def segment(score):
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"

    expected = {name: {days: [0, 0] for days in (30, 90, 180)} for name in ("promoter", "passive", "detractor")}
    for email in {email for email, _, _ in orders}:
        mine = sorted((placed, score) for e, placed, score in orders if e == email)
        scored = [(placed, score) for placed, score in mine if score is not None and placed + timedelta(days=2) < now]
        if not scored:
            continue
        anchor, score = scored[0]
        for days in (30, 90, 180):
            if anchor + timedelta(days=days) <= now:
                cell = expected[segment(score)][days]
                cell[0] += 1
                cell[1] += any(anchor < placed <= anchor + timedelta(days=days) for placed, _ in mine)
    actual = {
        name: {days: [cell.customers, cell.reordered] for days, cell in row.items()} for name, row in table.items()
    }
    assert actual == expected


def test_without_a_start_every_customer_who_scored_up_to_the_end_counts(history):
    everyone = repurchase_by_segment(history, None, NOW, now=NOW)
    recent = repurchase_by_segment(history, NOW - timedelta(days=45), NOW, now=NOW)

    assert everyone["promoter"][30].customers == 4
    assert recent["promoter"][30].customers == 1  # only r1 scored in the last 45 days
