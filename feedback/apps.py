"""Customer voice: one-click NPS/CSAT scores after delivery, follow-up answers, carrier ratings, reports."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Customer feedback"
