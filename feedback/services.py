"""Writes of feedback: record a score (one response per order), save answers, comments and carrier ratings.

A score link's GET never writes (mail scanners prefetch links); the page's POST calls these. Every write
checks the window (a delivered parcel, at most :data:`EDIT_WINDOW` after the first score) and bumps the
response's revision, which the alert sweep (:mod:`feedback.alerts`) announces once it has settled.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import nh3
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from carriers.types import Status
from feedback.models import SCALE_RANGES, CarrierRating, FeedbackAnswer, FeedbackResponse, segment_of
from feedback.selectors import feedback_settings_for
from shipments.models import Direction, Order, Shipment
from shipments.services import order_touch

EDIT_WINDOW = timedelta(days=30)
MAX_COMMENT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FeedbackClosed(Exception):
    """No delivered parcel yet, or the response is older than the edit window."""


@dataclass(frozen=True)
class FollowUp:
    """What the customer gave on the follow-up part of the page; None / empty = not given this time."""

    comment: str | None = None
    answers: dict[str, bool] = field(default_factory=dict)
    carrier_scores: dict[int, int] = field(default_factory=dict)


def comment_clean(text: str) -> str:
    """The comment as plain text: markup and control characters removed, whitespace tidied, length capped."""
    stripped = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    stripped = _CONTROL.sub("", stripped)
    lines = [" ".join(line.split()) for line in stripped.replace("\r\n", "\n").split("\n")]
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return tidy[:MAX_COMMENT]


def delivered_outbound(order: Order) -> list[Shipment]:
    """The order's delivered outbound parcels, in the order they were created."""
    return [
        shipment
        for shipment in sorted(order.shipments.all(), key=lambda shipment: shipment.pk)
        if shipment.direction == Direction.OUTBOUND and shipment.status == Status.DELIVERED
    ]


def _window_open(response: FeedbackResponse | None, now: datetime) -> bool:
    return response is None or now - response.created_at <= EDIT_WINDOW


def feedback_open(*, order: Order, response: FeedbackResponse | None, now: datetime) -> bool:
    """Whether the order may be scored or its response changed: a parcel delivered, within the edit window."""
    return bool(delivered_outbound(order)) and _window_open(response, now)


def score_check(*, scale: str, score: int) -> None:
    """Raise ``ValidationError`` unless ``score`` is on ``scale`` (0-10 NPS, 1-5 CSAT)."""
    low, high = SCALE_RANGES[scale]
    if not low <= score <= high:
        raise ValidationError({"score": f"Choose a score from {low} to {high}."}, code="invalid_score")


def response_score_record(*, order: Order, score: int, language: str, now: datetime | None = None) -> FeedbackResponse:
    """Record (or change) the order's score; one response per order, on the scale it was first given in.

    Raises ``FeedbackClosed`` before delivery or after the edit window, ``ValidationError`` off the scale.
    """
    now = now or timezone.now()
    delivered = delivered_outbound(order)
    if not delivered:
        raise FeedbackClosed
    with transaction.atomic():
        response = FeedbackResponse.objects.select_for_update().filter(order=order).first()
        if not _window_open(response, now):
            raise FeedbackClosed
        if response is None:
            scale = order.shop.feedback_scale
            score_check(scale=scale, score=score)
            try:
                with transaction.atomic():
                    response = FeedbackResponse.objects.create(
                        shop_id=order.shop_id,
                        order=order,
                        scale=scale,
                        score=score,
                        segment=segment_of(scale=scale, score=score),
                        language=language,
                        carrier=delivered[0].carrier,
                        created_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                # A second tab's first vote won the race: this vote changes it instead.
                return response_score_record(order=order, score=score, language=language, now=now)
        else:
            score_check(scale=response.scale, score=score)
            if response.score == score:
                return response
            response.score, response.segment = score, segment_of(scale=response.scale, score=score)
            response.updated_at, response.revision = now, response.revision + 1
            response.save(update_fields=["score", "segment", "updated_at", "revision"])
    order_touch(order_id=order.pk)
    return response


def response_follow_up_save(*, response: FeedbackResponse, follow_up: FollowUp, now: datetime | None = None) -> bool:
    """Save what was given of the comment, the thumbs and the carrier ratings; keep everything not given.

    Unknown questions and parcels of other orders raise ``ValidationError`` and store nothing. Returns
    whether anything changed.
    """
    now = now or timezone.now()
    if not _window_open(response, now):
        raise FeedbackClosed
    asked = set(feedback_settings_for(shop_id=response.shop_id).questions)
    unknown = sorted(set(follow_up.answers) - asked)
    if unknown:
        raise ValidationError({"answers": f"Unknown question(s): {', '.join(unknown)}."}, code="unknown_question")
    parcels = {shipment.pk: shipment for shipment in delivered_outbound(response.order)}
    strangers = sorted(set(follow_up.carrier_scores) - set(parcels))
    if strangers:
        raise ValidationError({"carrier": "Rate only the parcels of this order."}, code="unknown_parcel")
    for score in follow_up.carrier_scores.values():
        if not 1 <= score <= 5:
            raise ValidationError({"carrier": "Rate the carrier from 1 to 5."}, code="invalid_carrier_score")
    changed = False
    with transaction.atomic():
        for question, thumbs_up in follow_up.answers.items():
            answer, created = FeedbackAnswer.objects.get_or_create(
                response=response, question=question, defaults={"thumbs_up": thumbs_up, "answered_at": now}
            )
            if not created and answer.thumbs_up != thumbs_up:
                FeedbackAnswer.objects.filter(pk=answer.pk).update(thumbs_up=thumbs_up, answered_at=now)
                created = True
            changed |= created
        for shipment_id, score in follow_up.carrier_scores.items():
            changed |= _carrier_rate(shipment=parcels[shipment_id], score=score, now=now)
        if follow_up.comment is not None:
            comment = comment_clean(follow_up.comment)
            if comment != response.comment:
                response.comment = comment
                FeedbackResponse.objects.filter(pk=response.pk).update(comment=comment)
                changed = True
        if changed:
            FeedbackResponse.objects.filter(pk=response.pk).update(updated_at=now, revision=F("revision") + 1)
            response.refresh_from_db(fields=["updated_at", "revision"])
    return changed


def _carrier_rate(*, shipment: Shipment, score: int, now: datetime) -> bool:
    rating, created = CarrierRating.objects.get_or_create(
        shipment=shipment,
        defaults={
            "shop_id": shipment.shop_id,
            "carrier": shipment.carrier,
            "score": score,
            "created_at": now,
            "updated_at": now,
        },
    )
    if created or rating.score == score:
        return created
    CarrierRating.objects.filter(pk=rating.pk).update(score=score, updated_at=now)
    return True
