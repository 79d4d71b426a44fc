"""Admin watchlist: open incidents by type, age, carrier and value; resolve with a note, snooze, assign, carrier page."""

from datetime import timedelta
from urllib.parse import quote

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from carriers.registry import UnknownCarrier, adapter_class
from shops.admin_base import ALL, READ, TenantScopedAdmin
from shops.models import Role
from watchlist.models import Incident, IncidentRule
from watchlist.services import incident_assign, incident_resolve, incident_snooze

SUPPORT_DESK = {Role.OWNER: ALL, Role.SUPPORT: frozenset({"view", "change"}), Role.MARKETER: READ}


class IncidentActionForm(ActionForm):
    note = forms.CharField(required=False, label="Note (resolve)", max_length=1000)
    snooze_days = forms.IntegerField(required=False, min_value=1, max_value=30, initial=1, label="Snooze days")


class AgeFilter(admin.SimpleListFilter):
    """How long incidents have been open: support starts with the oldest."""

    title = "open for"
    parameter_name = "age"
    BUCKETS = {"day": (None, 1), "week": (1, 7), "older": (7, None)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("day", "less than a day"), ("week", "1 to 7 days"), ("older", "over a week")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in self.BUCKETS:
            return queryset
        now = timezone.now()
        younger, older = self.BUCKETS[self.value()]
        if younger is not None:
            queryset = queryset.filter(opened_at__lte=now - timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(opened_at__gt=now - timedelta(days=older))
        return queryset


@admin.register(Incident)
class IncidentAdmin(TenantScopedAdmin):
    role_actions = SUPPORT_DESK
    action_form = IncidentActionForm
    list_display = [
        "incident_type",
        "state",
        "order_link",
        "carrier",
        "age",
        "order_value",
        "threshold",
        "assigned_to",
        "carrier_page",
        "contact_customer",
    ]
    list_filter = ["state", "incident_type", AgeFilter, "shipment__carrier", "threshold_source"]
    search_fields = ["shipment__tracking_number", "shipment__order__number"]
    list_select_related = ["shipment", "shipment__order", "assigned_to"]
    ordering = ["opened_at"]
    fields = [
        "shop",
        "shipment",
        "incident_type",
        "state",
        "opened_at",
        "anchor_at",
        "deadline_at",
        "threshold_days",
        "threshold_source",
        "threshold_note",
        "snoozed_until",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "assigned_to",
        "notes",
    ]
    readonly_fields = [name for name in fields if name not in ("assigned_to", "notes")]
    actions = ["export_csv", "resolve", "snooze", "assign_to_me"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("shipment", "shipment__order")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # incidents open from the rules only

    @admin.display(description="Order")
    def order_link(self, incident: Incident) -> str:
        url = reverse("admin:shipments_shipment_change", args=[incident.shipment_id])
        return format_html('<a href="{}">#{} {}</a>', url, incident.shipment.order.number, incident.shipment)

    @admin.display(description="Carrier", ordering="shipment__carrier")
    def carrier(self, incident: Incident) -> str:
        return incident.shipment.carrier

    @admin.display(description="Age", ordering="opened_at")
    def age(self, incident: Incident) -> str:
        end = incident.resolved_at or timezone.now()
        hours = int((end - incident.opened_at) / timedelta(hours=1))
        return f"{hours // 24} d {hours % 24} h"

    @admin.display(description="Value", ordering="shipment__order__total_amount")
    def order_value(self, incident: Incident) -> str:
        order = incident.shipment.order
        return f"{order.total_amount} {order.currency}"

    @admin.display(description="Threshold")
    def threshold(self, incident: Incident) -> str:
        return f"{incident.threshold_days} bd ({incident.threshold_note or incident.threshold_source})"

    @admin.display(description="Carrier page")
    def carrier_page(self, incident: Incident) -> str:
        shipment = incident.shipment
        try:
            url = adapter_class(shipment.carrier).tracking_url(shipment.tracking_number)
        except UnknownCarrier:
            url = ""
        return format_html('<a href="{}" target="_blank" rel="noopener">open</a>', url) if url else "-"

    @admin.display(description="Customer")
    def contact_customer(self, incident: Incident) -> str:
        order = incident.shipment.order
        if not order.customer_email:
            return "-"
        subject = quote(f"Order {order.number}: your parcel")
        return format_html('<a href="mailto:{}?subject={}">email</a>', order.customer_email, subject)

    def _changeable(self, request: HttpRequest, queryset: QuerySet) -> list[Incident]:
        return [incident for incident in queryset if self.has_change_permission(request, incident)]

    @admin.action(description="Resolve with the note")
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        note = request.POST.get("note", "").strip()
        if not note:
            self.message_user(request, "Write a note to resolve incidents.", messages.ERROR)
            return
        done = sum(
            incident_resolve(incident=incident, user=request.user, note=note)
            for incident in self._changeable(request, queryset)
        )
        self.message_user(request, f"{done} incident(s) resolved.")

    @admin.action(description="Snooze for the given days")
    def snooze(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            days = max(1, min(30, int(request.POST.get("snooze_days") or 1)))
        except ValueError:
            days = 1
        until = timezone.now() + timedelta(days=days)
        done = sum(incident_snooze(incident=incident, until=until) for incident in self._changeable(request, queryset))
        self.message_user(request, f"{done} incident(s) snoozed for {days} day(s).")

    @admin.action(description="Assign to me")
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        incidents = self._changeable(request, queryset)
        for incident in incidents:
            incident_assign(incident=incident, user=request.user)
        self.message_user(request, f"{len(incidents)} incident(s) assigned to you.")


@admin.register(IncidentRule)
class IncidentRuleAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: ALL, Role.SUPPORT: READ}
    list_display = [
        "incident_type",
        "shop",
        "carrier",
        "destination_country",
        "threshold_days",
        "enabled",
        "notify_customer",
    ]
    list_filter = ["incident_type", "enabled"]
