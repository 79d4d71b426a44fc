"""Feedback: a shop's settings, one response per order (score, comment, answers), one carrier rating per parcel."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from feedback.questions import MAX_QUESTIONS, QUESTIONS, default_questions
from shipments.models import Order, Shipment
from shops.models import FeedbackScale, Shop

SCALE_RANGES = {FeedbackScale.NPS: (0, 10), FeedbackScale.CSAT: (1, 5)}


class FeedbackSettings(models.Model):
    """What a shop asks after the score, whom it alerts, and the review link promoters see."""

    tenant_path = "shop"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="feedback_settings")
    questions = models.JSONField(
        default=default_questions, blank=True, help_text=f"Up to {MAX_QUESTIONS} thumbs up/down questions, in order"
    )
    review_url = models.URLField(
        max_length=500, blank=True, help_text="Promoters (9-10, or 5 stars) are invited to review you here"
    )
    alert_email = models.EmailField(blank=True, help_text="Where detractor alerts go; empty = the shop's support email")
    alert_detractors = models.BooleanField(default=True, help_text="Email support about detractors (0-6, or 1-3 stars)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "feedback settings"
        verbose_name_plural = "feedback settings"

    def __str__(self) -> str:
        return f"Feedback settings of {self.shop}"

    def clean(self) -> None:
        questions = self.questions if isinstance(self.questions, list) else None
        if questions is None or len(questions) > MAX_QUESTIONS:
            raise ValidationError({"questions": f"Choose at most {MAX_QUESTIONS} questions."})
        unknown = [code for code in questions if code not in QUESTIONS]
        if unknown or len(set(questions)) != len(questions):
            raise ValidationError({"questions": "Unknown or repeated question."})


class ResponseSource(models.TextChoices):
    EMAIL = "email", "Score link (email or tracking page)"
    MIGRATED = "migrated", "Tracking page rating (before scores)"
    DEMO = "demo", "Demo data"


class Segment(models.TextChoices):
    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"


def segment_of(*, scale: str, score: int) -> str:
    """Promoter, passive or detractor: 9-10 / 7-8 / 0-6 on NPS; 5 / 4 / 1-3 stars on CSAT."""
    if scale == FeedbackScale.NPS:
        return Segment.PROMOTER if score >= 9 else Segment.PASSIVE if score >= 7 else Segment.DETRACTOR
    return Segment.PROMOTER if score == 5 else Segment.PASSIVE if score == 4 else Segment.DETRACTOR


class FeedbackResponse(models.Model):
    """The customer's score of an order (one per order, editable for a while), with comment and answers."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="feedback_response")
    scale = models.CharField(max_length=4, choices=FeedbackScale.choices)
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    segment = models.CharField(max_length=10, choices=Segment.choices)
    comment = models.TextField(blank=True, max_length=2000)
    language = models.CharField(max_length=5, blank=True)
    # The carrier of the order's delivered parcel when the score came, for per-carrier reports without joins.
    carrier = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=10, choices=ResponseSource.choices, default=ResponseSource.EMAIL)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Alerts and the webhook go out once a response has settled (no change for a few minutes), per revision.
    revision = models.PositiveIntegerField(default=1)
    announced_revision = models.PositiveIntegerField(default=0)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "feedback response"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale=FeedbackScale.NPS, score__lte=10)
                | Q(scale=FeedbackScale.CSAT, score__gte=1, score__lte=5),
                name="feedback_score_in_scale",
            )
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="feedback_response_recent"),
            # The alert sweep's query: responses whose latest revision was not announced yet.
            models.Index(
                fields=["updated_at"],
                name="feedback_response_unannounced",
                condition=Q(revision__gt=F("announced_revision")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.score} ({self.scale})"


class FeedbackAnswer(models.Model):
    """One thumbs up (True) or down (False) on one question; each saved as the customer gives it."""

    tenant_path = "response__shop"

    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=32)
    thumbs_up = models.BooleanField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="feedback_answer_once")]

    def __str__(self) -> str:
        return f"{self.question}: {'up' if self.thumbs_up else 'down'}"


class CarrierRating(models.Model):
    """The customer's 1-5 rating of the carrier that brought one parcel (separate from the shop's score)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="carrier_rating")
    carrier = models.CharField(max_length=32)
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="carrier_rating_1_to_5"),
        ]
        indexes = [models.Index(fields=["shop", "carrier", "created_at"], name="carrier_rating_by_carrier")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.shipment_id}: {self.score}/5"
