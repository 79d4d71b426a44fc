"""The merchant's side of returns: the queue with bulk decisions, the rules, the reasons and the settings.

Decisions go through the services (never a direct state edit): the action form's note is the rejection
reason or the resolution note. Everything is tenant-scoped and role-aware through ``TenantScopedAdmin``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from config.csv_files import csv_export_response
from returns.insight import DIMENSIONS, ReturnInsight, insight_csv_rows, return_insight
from returns.labels import (
    LABEL_URL_MAX_LENGTH,
    return_label_clean,
    return_label_issuable,
    return_label_issue,
    return_label_url_clean,
)
from returns.lifecycle import TransitionError
from returns.links import return_label_link, return_page_url
from returns.methods import return_code_retry
from returns.models import ReturnItem, ReturnReason, ReturnRequest, ReturnRule, ReturnSettings, ReturnTransition
from returns.services import return_approve, return_close, return_receive, return_reject, return_resolve
from shops.admin_base import ALL, OWNER_ONLY, READ, TenantScopedAdmin, TenantTabularInline
from shops.models import Role

# Support works the queue (approve, receive, resolve); only the owner deletes; marketers read.
QUEUE = {Role.OWNER: ALL, Role.SUPPORT: frozenset({"view", "change"}), Role.MARKETER: READ}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ReturnActionForm(ActionForm):
    note = forms.CharField(
        required=False, max_length=500, label="Note", help_text="The rejection reason, or the refund/exchange note"
    )


class ReturnRequestForm(forms.ModelForm):
    """The change page's one editable part: the label of an approved return with the label method."""

    label_pdf = forms.FileField(
        required=False,
        label="Return label (PDF)",
        help_text="For an approved return with the label method: the PDF the customer prints (at most 5 MB).",
    )
    label_link = forms.CharField(
        required=False,
        max_length=LABEL_URL_MAX_LENGTH,
        label="Or the carrier's label link",
        help_text="An https:// link to the carrier-generated label, instead of uploading it.",
    )

    class Meta:
        model = ReturnRequest
        fields: list[str] = []

    def clean(self) -> dict:
        cleaned = super().clean()
        upload, link = cleaned.get("label_pdf"), (cleaned.get("label_link") or "").strip()
        if upload is None and not link:
            return cleaned
        if upload is not None and link:
            raise ValidationError("Upload the label PDF or paste the carrier's label link, not both.")
        try:
            return_label_issuable(return_request=self.instance)
            if upload is not None:
                return_label_clean(upload=upload)
            else:
                cleaned["label_link"] = return_label_url_clean(url=link)
        except TransitionError as error:
            raise ValidationError(str(error)) from error
        except ValidationError as error:
            self.add_error("label_pdf" if upload is not None else "label_link", error)
        return cleaned


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("new", "Under 2 days"), ("week", "2 to 7 days"), ("old", "Over 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "new":
            return queryset.filter(created_at__gte=now - timedelta(days=2))
        if self.value() == "week":
            return queryset.filter(created_at__lt=now - timedelta(days=2), created_at__gte=now - timedelta(days=7))
        if self.value() == "old":
            return queryset.filter(created_at__lt=now - timedelta(days=7))
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # Only the reasons of the rows this user may see, never another shop's list.
        reasons = ReturnReason.objects.filter(items__return_request__in=model_admin.get_queryset(request)).distinct()
        return [(str(reason.pk), reason.label) for reason in reasons]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(items__reason_id=self.value()).distinct() if self.value() else queryset


class ReturnItemInline(TenantTabularInline):
    role_actions = QUEUE
    model = ReturnItem
    extra = 0
    can_delete = False
    fields = ["name", "sku", "quantity", "reason", "photo", "exchange_name", "exchange_sku", "received_quantity"]
    readonly_fields = ["name", "sku", "quantity", "reason", "photo", "exchange_name", "exchange_sku"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReturnTransitionInline(TenantTabularInline):
    role_actions = QUEUE
    model = ReturnTransition
    extra = 0
    can_delete = False
    fields = ["occurred_at", "from_state", "to_state", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReturnRequest)
class ReturnRequestAdmin(TenantScopedAdmin):
    role_actions = QUEUE
    action_form = ReturnActionForm
    form = ReturnRequestForm
    list_display = ["pk", "order", "shop", "state", "resolution", "method", "created_at", "return_code"]
    list_filter = ["state", AgeFilter, ReasonFilter, "method", "resolution", "shop"]
    search_fields = ["order__number", "order__customer_email", "return_code", "return_tracking_number"]
    list_select_related = ["order", "shop"]
    readonly_fields = [
        "shop",
        "order",
        "public_page",
        "state",
        "resolution",
        "method",
        "customer_note",
        "fee",
        "currency",
        "deadline",
        "rejection_reason",
        "resolution_note",
        "store_credit_code",
        "store_credit_amount",
        "return_code",
        "label_url",
        "customer_label",
        "return_tracking_number",
        "code_expires_at",
        "return_shipment",
        "dropoff_points",
        "issue_attempts",
        "issue_error",
        "merchant_alerted_at",
        "state_changed_at",
        "created_at",
    ]
    exclude = ["public_token", "updated_at", "label_file"]
    inlines = [ReturnItemInline, ReturnTransitionInline]
    actions = ["export_csv", "approve", "reject", "retry_code", "receive", "resolve", "close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    change_list_template = "admin/returns/returnrequest/change_list.html"

    def get_urls(self) -> list:
        return [
            path("insight/", self.admin_site.admin_view(self.insight_page), name="returns_returnrequest_insight_page"),
            path("insight.csv", self.admin_site.admin_view(self.insight_csv), name="returns_returnrequest_insight"),
            *super().get_urls(),
        ]

    def _insight(self, request: HttpRequest) -> ReturnInsight:
        """The report of the user's shops for ``?since=&until=`` (orders placed; default the last 90 days)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        until = _day(request.GET.get("until")) or timezone.localdate()
        since = _day(request.GET.get("since")) or until - timedelta(days=90)
        if since > until:
            since, until = until, since
        return return_insight(shop_ids=self.shop_ids_for(request, "view"), since=since, until=until)

    def insight_page(self, request: HttpRequest) -> HttpResponse:
        """Return rate and reasons by product, category and carrier over a date range."""
        insight = self._insight(request)
        return render(
            request,
            "admin/returns/returnrequest/insight.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Return insight",
                "insight": insight,
                "sections": [(dimension.title(), insight.rows[dimension]) for dimension in DIMENSIONS],
                "query": f"since={insight.since}&until={insight.until}",
            },
        )

    def insight_csv(self, request: HttpRequest) -> HttpResponse:
        """The insight report as CSV: one row per product, category and carrier."""
        insight = self._insight(request)
        return csv_export_response(
            filename=f"return-insight-{insight.since}-{insight.until}.csv",
            header=["dimension", "key", "name", "ordered", "returned", "return_rate", "reasons"],
            rows=insight_csv_rows(insight),
        )

    def get_fields(self, request: HttpRequest, obj: ReturnRequest | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        # The label fields only where this user may issue one: a read-only page has nothing to upload.
        if obj is None or not self.has_change_permission(request, obj):
            fields = [name for name in fields if name not in ("label_pdf", "label_link")]
        return fields

    def save_model(self, request: HttpRequest, obj: ReturnRequest, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        upload, link = form.cleaned_data.get("label_pdf"), form.cleaned_data.get("label_link") or ""
        if upload is not None or link:
            issued = return_label_issue(return_request=obj, upload=upload, url=link)
            obj.state, obj.label_file, obj.label_url = issued.state, issued.label_file, issued.label_url

    @admin.display(description="Customer's label link")
    def customer_label(self, return_request: ReturnRequest) -> str:
        return return_label_link(return_request=return_request)

    @admin.display(description="Customer's page")
    def public_page(self, return_request: ReturnRequest) -> str:
        return return_page_url(token=return_request.public_token)

    def _each(
        self, request: HttpRequest, queryset: QuerySet, verb: str, step: Callable[[ReturnRequest], object]
    ) -> None:
        done, refused = 0, []
        for return_request in queryset:
            try:
                step(return_request)
                done += 1
            except (TransitionError, ValidationError) as error:
                text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                refused.append(f"#{return_request.pk}: {text}")
        if done:
            self.message_user(request, f"{verb} {done} return(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def _note(self, request: HttpRequest) -> str:
        return (request.POST.get("note") or "").strip()

    @admin.action(description="Approve selected", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, "Approved", lambda r: return_approve(return_request=r, note=self._note(request)))

    @admin.action(description="Reject selected (the note is the reason)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, "Rejected", lambda r: return_reject(return_request=r, reason=self._note(request)))

    @admin.action(description="Ask the carrier again for the code of selected approved returns", permissions=["change"])
    def retry_code(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, "Asked again for", lambda r: return_code_retry(return_request=r))

    @admin.action(description="Mark selected received (item quantities as entered, else all)", permissions=["change"])
    def receive(self, request: HttpRequest, queryset: QuerySet) -> None:
        def step(return_request: ReturnRequest) -> ReturnRequest:
            entered = dict(return_request.items.filter(received_quantity__gt=0).values_list("pk", "received_quantity"))
            return return_receive(return_request=return_request, quantities=entered or None)

        self._each(request, queryset, "Received", step)

    @admin.action(
        description="Resolve selected (refund/exchange note; store credit gets a code)", permissions=["change"]
    )
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, "Resolved", lambda r: return_resolve(return_request=r, note=self._note(request)))

    @admin.action(description="Close selected", permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, "Closed", lambda r: return_close(return_request=r))


@admin.register(ReturnRule)
class ReturnRuleAdmin(TenantScopedAdmin):
    role_actions = OWNER_ONLY
    list_display = ["shop", "destination_country", "window_days", "window_start", "fee", "auto_approve"]
    list_filter = ["shop"]


@admin.register(ReturnReason)
class ReturnReasonAdmin(TenantScopedAdmin):
    role_actions = {**OWNER_ONLY, Role.SUPPORT: READ}
    list_display = ["label", "code", "shop", "photo", "position", "is_active"]
    list_filter = ["shop", "is_active"]


@admin.register(ReturnSettings)
class ReturnSettingsAdmin(TenantScopedAdmin):
    role_actions = OWNER_ONLY
    list_display = ["shop", "country", "packeta_return_code"]
