"""The demo's customer voice: six months of scores, comments, thumbs and carrier ratings, and repeat orders.

Past orders of a separate set of customers (so the live demo orders keep their campaign audiences) are
delivered long ago and never polled; about a third of the customers order again, promoters more often
than detractors, so the NPS-vs-repurchase table has something to show. The scores go through the real
services at their past moments and count as already announced (no webhooks or alerts for history).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from demo.catalog import PRODUCTS
from feedback.models import FeedbackResponse, FeedbackSettings, ResponseSource
from feedback.services import FollowUp, response_follow_up_save, response_score_record
from shipments.models import Order, Shipment
from shipments.services import order_upsert
from shops.models import Shop

HISTORY_CUSTOMERS = 60
CARRIERS = ("inpost", "dpd", "dhl", "poczta_polska")
# Each carrier's typical NPS score and spread: the report then shows who delivers the happier customers.
CARRIER_MOOD = {"inpost": (8.6, 1.6), "dpd": (7.4, 2.2), "dhl": (7.9, 1.8), "poczta_polska": (6.2, 2.6)}
COMMENTS = {
    "promoter": ["Kawa świetna, paczka w paczkomacie następnego dnia.", "Super szybko, pięknie zapakowane!"],
    "passive": ["Dobra kawa, ale kurier przyszedł dopiero wieczorem.", "Ok, choć śledzenie długo stało w miejscu."],
    "detractor": [
        "Paczka zgnieciona, jedna torebka pęknięta.",
        "Czekałem tydzień, nikt nie odpisał na maila.",
        "Kurier zostawił paczkę pod drzwiami bez pytania.",
    ],
}
QUESTIONS = ("product", "delivery_speed", "courier", "packaging", "tracking_updates")


def demo_feedback_seed(
    *, shop: Shop, now: datetime, rng: random.Random, tracking_number: Callable[[str, random.Random], str]
) -> int:
    """Settings and ~6 months of delivered past orders with scores; returns how many responses were made.

    ``tracking_number`` makes a number in the carrier's real format (the demo seeder's own generator).
    """
    FeedbackSettings.objects.create(
        shop=shop, review_url="https://g.page/r/palarnia-ziarno/review", alert_email=shop.support_email
    )
    responses = 0
    for index in range(HISTORY_CUSTOMERS):
        email = f"staly.klient{index}@example.com"
        placed_at = now - timedelta(days=rng.randint(20, 185), hours=rng.randint(0, 23))
        carrier = rng.choice(CARRIERS)
        order = _past_order(
            shop,
            number=f"ZI-H{index:03d}",
            email=email,
            placed_at=placed_at,
            carrier=carrier,
            tracking_number=tracking_number(carrier, rng),
            rng=rng,
        )
        if rng.random() < 0.8:  # not everybody answers
            segment = _score(shop, order=order, carrier=carrier, answered_at=placed_at + timedelta(days=3), rng=rng)
            responses += 1
        else:
            segment = "passive"
        # Promoters come back more often: the correlation the report shows (and warns about).
        chance = {"promoter": 0.55, "passive": 0.35, "detractor": 0.15}[segment]
        if rng.random() < chance:
            again = placed_at + timedelta(days=rng.randint(8, 160))
            if again < now - timedelta(days=1):
                _past_order(
                    shop,
                    number=f"ZI-H{index:03d}-2",
                    email=email,
                    placed_at=again,
                    carrier=carrier,
                    tracking_number=tracking_number(carrier, rng),
                    rng=rng,
                )
    FeedbackResponse.objects.filter(shop=shop).update(source=ResponseSource.DEMO)
    return responses


def _past_order(
    shop: Shop, *, number: str, email: str, placed_at: datetime, carrier: str, tracking_number: str, rng: random.Random
) -> Order:
    sku, name, price, category, _tags, _image = rng.choice(PRODUCTS)
    order, _ = order_upsert(
        shop=shop,
        number=number,
        items=[{"sku": sku, "name": name, "quantity": 1, "unit_price": price, "category": category}],
        shipments=[{"carrier": carrier, "tracking_number": tracking_number}],
        customer_name="Stały Klient",
        customer_email=email,
        shipping_country="PL",
        locale="pl",
        total_amount=price,
        placed_at=placed_at,
    )
    # History: delivered two days after the order, never polled.
    delivered = placed_at + timedelta(days=2)
    Shipment.objects.filter(order=order).update(
        status="delivered", status_changed_at=delivered, delivered_at=delivered, next_poll_at=None
    )
    return order


def _score(shop: Shop, *, order: Order, carrier: str, answered_at: datetime, rng: random.Random) -> str:
    mean, spread = CARRIER_MOOD[carrier]
    score = max(0, min(10, round(rng.gauss(mean, spread))))
    order = Order.objects.prefetch_related("shipments").select_related("shop").get(pk=order.pk)
    response = response_score_record(order=order, score=score, language="pl", now=answered_at)
    answers = {question: rng.random() < (0.85 if score >= 7 else 0.35) for question in rng.sample(QUESTIONS, k=2)}
    comment = rng.choice(COMMENTS[response.segment]) if rng.random() < 0.45 else None
    parcel = order.shipments.get()
    follow_up = FollowUp(
        comment=comment,
        answers=answers,
        carrier_scores={parcel.pk: max(1, min(5, round(score / 2)))},
    )
    response_follow_up_save(response=response, follow_up=follow_up, now=answered_at + timedelta(minutes=2))
    response.refresh_from_db()
    FeedbackResponse.objects.filter(pk=response.pk).update(announced_revision=response.revision)
    return response.segment
