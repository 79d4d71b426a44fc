"""Admin for webhooks (endpoints, delivery log with redeliver) and the CSV import of orders.

Webhook endpoints and imports are the owner's business; support and marketers can read the
delivery log. Everything is scoped to the user's shops by ``TenantScopedAdmin``.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from api.csv_import import COLUMNS, CsvImportNotApplicable, csv_import_apply, csv_import_check
from api.models import CsvImport, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.services import (
    SUBSCRIBABLE_EVENT_TYPES,
    webhook_deliveries_redeliver,
    webhook_endpoint_enable,
    webhook_endpoint_validate,
    webhook_test_send,
)
from config.csv_files import CsvFileError
from shops.admin_base import OWNER_ONLY, READ, TenantScopedAdmin, TenantTabularInline
from shops.models import Role, Shop

DELIVERY_LOG = {Role.OWNER: frozenset({"view", "change"}), Role.SUPPORT: READ, Role.MARKETER: READ}


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(name, name) for name in SUBSCRIBABLE_EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["shop", "url", "description", "event_types"]

    def clean(self) -> dict:
        cleaned = super().clean()
        candidate = WebhookEndpoint(url=cleaned.get("url") or "", event_types=cleaned.get("event_types") or [])
        if cleaned.get("url"):
            try:
                webhook_endpoint_validate(endpoint=candidate)
            except ValidationError as error:
                raise ValidationError(error.message_dict) from error
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    role_actions = OWNER_ONLY
    form = WebhookEndpointForm
    list_display = ["url", "shop", "event_list", "is_active", "disabled_reason", "failing_since"]
    list_filter = ["is_active", "shop"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "is_active", "disabled_at", "disabled_reason", "failing_since", "created_at"]
    actions = ["enable", "send_test_event"]

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> list[str]:
        if obj is None:
            return ["shop", "url", "description", "event_types"]
        return ["shop", "url", "description", "event_types", *self.readonly_fields]

    @admin.display(description="Events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # The notice an owner must not miss: an endpoint we stopped sending to.
        for endpoint in self.get_queryset(request).filter(is_active=False):
            messages.warning(
                request,
                f"Webhooks to {endpoint.url} are disabled since {endpoint.disabled_at:%Y-%m-%d %H:%M}: "
                f"{endpoint.disabled_reason} Fix the receiver, then use the action “Enable”.",
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="Enable (pending deliveries are sent again)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_endpoint_enable(endpoint=endpoint)
        messages.success(request, f"Enabled {len(queryset)} endpoint(s).")

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        sent = 0
        for endpoint in queryset.filter(is_active=True):
            webhook_test_send(endpoint=endpoint)
            sent += 1
        messages.success(request, f"Queued a webhook.test event to {sent} active endpoint(s).")


class WebhookAttemptInline(TenantTabularInline):
    role_actions = DELIVERY_LOG
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "status_code", "error", "response_excerpt", "duration_ms"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    role_actions = DELIVERY_LOG
    list_display = ["event_type", "event_id", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event__event_type"]
    search_fields = ["event__event_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "succeeded_at",
        "created_at",
        "payload",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    @admin.display(description="Event type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.event_type

    @admin.display(description="Event id")
    def event_id(self, obj: WebhookDelivery) -> str:
        return obj.event.event_id

    @admin.display(description="Payload")
    def payload(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.event.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Redeliver (failed or pending only)", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        # Only rows the user may change: the queryset is scoped to view rights, change may be narrower.
        allowed = self.shop_ids_for(request, "change")
        if allowed is not None:
            queryset = queryset.filter(endpoint__shop_id__in=allowed)
        queued = webhook_deliveries_redeliver(deliveries=queryset)
        messages.success(
            request,
            f"Queued {queued} delivery(ies). Succeeded ones are never resent; those of disabled endpoints "
            "wait until the endpoint is enabled.",
        )


class CsvUploadForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.none())
    file = forms.FileField(help_text="CSV, UTF-8 or Windows-1250, comma, semicolon or tab separated, at most 5 MB.")

    def __init__(self, *args: object, shops: QuerySet[Shop], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops


@admin.register(CsvImport)
class CsvImportAdmin(TenantScopedAdmin):
    """Upload → dry run with a per-row report → apply (only when every row is valid)."""

    role_actions = OWNER_ONLY
    list_display = ["file_name", "shop", "status", "row_count", "error_count", "created_at", "applied_at"]
    list_filter = ["status", "shop"]
    readonly_fields = [
        "shop",
        "file_name",
        "status",
        "row_count",
        "error_count",
        "uploaded_by",
        "created_at",
        "applied_at",
        "report_table",
    ]
    fields = readonly_fields
    change_form_template = "admin/api/csvimport/change_form.html"
    actions: list[str] = []

    def has_change_permission(self, request: HttpRequest, obj: CsvImport | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        urls = super().get_urls()
        apply_url = path(
            "<int:object_id>/apply/", self.admin_site.admin_view(self.apply_view), name="api_csvimport_apply"
        )
        return [apply_url, *urls]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None, shops=self.shops_for(request, "add"))
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                csv_import = csv_import_check(
                    shop=form.cleaned_data["shop"], upload=upload, file_name=upload.name, uploaded_by=request.user
                )
            except CsvFileError as error:
                form.add_error("file", str(error))
            else:
                return HttpResponseRedirect(reverse("admin:api_csvimport_change", args=[csv_import.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import orders and shipments from CSV",
            "form": form,
            "opts": self.model._meta,
            "columns": COLUMNS,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/api/csvimport/upload.html", context)

    def apply_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:api_csvimport_change", args=[object_id]))
        csv_import = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.tenant_allows(request, "add", csv_import):
            raise PermissionDenied
        try:
            report = csv_import_apply(csv_import_id=csv_import.pk)
        except CsvImportNotApplicable as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("admin:api_csvimport_change", args=[object_id]))
        if report.applied:
            messages.success(
                request,
                f"Imported: {report.orders_created} order(s) created, {report.orders_updated} updated, "
                f"{report.shipments} shipment row(s).",
            )
        else:
            messages.error(request, "The data changed since the dry run and some rows are now invalid; nothing stored.")
        return HttpResponseRedirect(reverse("admin:api_csvimport_change", args=[object_id]))

    @admin.display(description="Report")
    def report_table(self, obj: CsvImport) -> str:
        rows = format_html_join(
            "",
            '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    "" if row["ok"] else "errornote",
                    row["line"],
                    row["order_number"],
                    row["tracking_number"],
                    "OK" if row["ok"] else "Error",
                    "; ".join(row["messages"]),
                )
                for row in obj.report
            ),
        )
        return format_html(
            "<table><thead><tr><th>Line</th><th>Order</th><th>Tracking number</th><th>Result</th>"
            "<th>Details</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )
