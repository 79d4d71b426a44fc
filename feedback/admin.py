"""Feedback in the admin: settings (owner, marketer), responses with searchable comments, carrier ratings,
and the report (owners and marketers): scores per period, per carrier and category, NPS vs repurchase."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date

from feedback.models import CarrierRating, FeedbackResponse, FeedbackSettings
from feedback.questions import MAX_QUESTIONS, QUESTION_CHOICES
from feedback.reports import (
    REPURCHASE_WINDOWS,
    SEGMENTS,
    by_carrier,
    by_category,
    comments,
    monthly_scores,
    period_comparison,
    repurchase_by_segment,
)
from shipments.lateness import shop_zone
from shops.admin_base import MARKETING, READ, TenantScopedAdmin
from shops.models import Role, Shop
from shops.selectors import shops_for_user

EVERY_ROLE_READS = {Role.OWNER: READ, Role.MARKETER: READ, Role.SUPPORT: READ}
REPORT_ROLES = {Role.OWNER, Role.MARKETER}
MAX_REPORT_DAYS = 366


class FeedbackSettingsForm(forms.ModelForm):
    questions = forms.MultipleChoiceField(
        choices=QUESTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=f"Up to {MAX_QUESTIONS} thumbs up/down questions after the score (customers read them in their language).",
    )

    class Meta:
        model = FeedbackSettings
        fields = ["shop", "questions", "review_url", "alert_email", "alert_detractors"]

    def clean_questions(self) -> list[str]:
        chosen = self.cleaned_data["questions"]
        if len(chosen) > MAX_QUESTIONS:
            raise forms.ValidationError(f"Choose at most {MAX_QUESTIONS} questions.")
        return [code for code, _ in QUESTION_CHOICES if code in chosen]


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(TenantScopedAdmin):
    role_actions = MARKETING
    form = FeedbackSettingsForm
    list_display = ["shop", "review_url", "alert_email", "alert_detractors"]


@admin.register(FeedbackResponse)
class FeedbackResponseAdmin(TenantScopedAdmin):
    role_actions = EVERY_ROLE_READS
    list_display = ["order", "scale", "score", "segment", "carrier", "comment", "created_at"]
    list_filter = ["scale", "segment", "carrier", "source"]
    search_fields = ["comment", "order__number"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "shop",
        "order",
        "scale",
        "score",
        "segment",
        "comment",
        "language",
        "carrier",
        "source",
        "created_at",
        "updated_at",
        "alerted_at",
    ]
    exclude = ["revision", "announced_revision"]

    def get_urls(self) -> list:
        report = path("report/", self.admin_site.admin_view(self.report_view), name="feedback_report")
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """Owners and marketers of a shop: its scores, carriers, categories, comments and repurchase table."""
        shops = self.shops_for_report(request)
        if not shops:
            raise PermissionDenied
        shop = next((shop for shop in shops if str(shop.pk) == request.GET.get("shop", "")), shops[0])
        today = timezone.now().astimezone(shop_zone(shop)).date()
        start, end, error = _period(request, today)
        search = request.GET.get("q", "").strip()[:100]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Customer feedback: {shop.name}",
            "shop": shop,
            "shops": shops,
            "start": start,
            "end": end,
            "error": error,
            "search": search,
            "days": (end - start).days + 1,
            "period": period_comparison(shop, start, end),
            "months": monthly_scores(shop, today=today),
            "carriers": by_carrier(shop, start, end),
            "categories": by_category(shop, start, end),
            "comments": comments(shop, start, end, search=search),
            "repurchase": repurchase_by_segment(shop, None, end, now=timezone.now()),
            "windows": REPURCHASE_WINDOWS,
            "segments": SEGMENTS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/feedback/report.html", context)

    def shops_for_report(self, request: HttpRequest) -> list[Shop]:
        """The shops whose report the user may read: where they are an owner or a marketer (all for superusers)."""
        user = request.user
        if not (user.is_active and (user.is_superuser or user.is_staff)):
            return []
        return list(shops_for_user(user=user, roles=None if user.is_superuser else REPORT_ROLES))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "report_allowed": bool(self.shops_for_report(request))}
        return super().changelist_view(request, extra_context)


def _period(request: HttpRequest, today: date) -> tuple[date, date, str]:
    """The report's days from ?start= and ?end= (inclusive); the last 30 days by default or when invalid."""
    default = (today - timedelta(days=29), today)
    raw_start, raw_end = request.GET.get("start", ""), request.GET.get("end", "")
    if not raw_start and not raw_end:
        return (*default, "")
    try:
        start, end = parse_date(raw_start), parse_date(raw_end)
    except ValueError:
        start = end = None
    if start is None or end is None or start > end or (end - start).days >= MAX_REPORT_DAYS:
        return (*default, f"Give a start and an end date (YYYY-MM-DD), at most {MAX_REPORT_DAYS} days apart.")
    return start, end, ""


@admin.register(CarrierRating)
class CarrierRatingAdmin(TenantScopedAdmin):
    role_actions = EVERY_ROLE_READS
    list_display = ["shipment", "carrier", "score", "created_at"]
    list_filter = ["carrier", "score"]
    search_fields = ["shipment__tracking_number"]
    list_select_related = ["shipment"]
    readonly_fields = ["shop", "shipment", "carrier", "score", "created_at", "updated_at"]
