"""Admin for orders and shipments: support finds an order and sees its whole history."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from carriers.registry import carrier_choices
from config.celery import publish_on_commit
from shipments.dispatch import shipments_poll_now
from shipments.links import order_tracking_url
from shipments.models import (
    CarrierAccount,
    Order,
    OrderItem,
    Shipment,
    StatusChange,
    TrackingEvent,
    UnmappedCode,
)
from shops.admin_base import NOTHING, ORDERS, OWNER_ONLY, TenantScopedAdmin, TenantTabularInline
from shops.models import AuditAction
from shops.privacy_admin import CustomerPrivacyActions


class OrderItemInline(TenantTabularInline):
    role_actions = ORDERS
    model = OrderItem
    extra = 0
    fields = ["sku", "name", "quantity", "unit_price", "image_url", "product_url"]


class ShipmentInline(TenantTabularInline):
    role_actions = ORDERS
    model = Shipment
    extra = 0
    fields = ["carrier", "tracking_number", "direction", "status", "reason", "eta_to", "next_poll_at"]
    readonly_fields = ["status", "reason", "eta_to", "next_poll_at"]
    show_change_link = True


@admin.register(Order)
class OrderAdmin(CustomerPrivacyActions, TenantScopedAdmin):
    role_actions = ORDERS
    actions = ["export_csv", "export_customer_data", "erase_customer"]
    list_display = ["number", "shop", "customer_name", "customer_email", "placed_at", "total_amount", "currency"]
    list_filter = ["shop", "locale", "email_marketing_consent", "sms_marketing_consent"]
    search_fields = ["number", "customer_email", "customer_name", "shipments__tracking_number"]
    date_hierarchy = "placed_at"
    autocomplete_fields = ["shop"]
    readonly_fields = ["tracking_page", "customer_emails", "public_token", "version", "created_at", "updated_at"]
    inlines = [OrderItemInline, ShipmentInline]
    list_select_related = ["shop"]
    show_full_result_count = False

    @admin.display(description="Tracking page")
    def tracking_page(self, order: Order) -> str:
        if not order.pk:
            return "—"
        url = order_tracking_url(order)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="Emails")
    def customer_emails(self, order: Order) -> str:
        # By URL name only: the notifications app sits above shipments and is not imported here.
        if not order.pk:
            return "—"
        try:
            url = reverse("admin:notifications_order_messages", args=[order.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">Every email of this order, with previews and delivery events</a>', url)


class TrackingEventInline(TenantTabularInline):
    role_actions = ORDERS
    model = TrackingEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "status", "reason", "raw_code", "text", "location", "source", "mapped"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class StatusChangeInline(TenantTabularInline):
    role_actions = ORDERS
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["occurred_at", "from_status", "to_status", "reason", "processed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Shipment)
class ShipmentAdmin(TenantScopedAdmin):
    role_actions = ORDERS
    list_display = [
        "tracking_number",
        "carrier",
        "shop",
        "order",
        "status",
        "reason",
        "eta_to",
        "next_poll_at",
        "last_error_kind",
    ]
    list_filter = ["status", "carrier", "direction", "last_error_kind", "shop"]
    search_fields = ["tracking_number", "order__number"]
    autocomplete_fields = ["order"]
    list_select_related = ["shop", "order"]
    readonly_fields = [
        "shop",
        "public_token",
        "status",
        "reason",
        "status_changed_at",
        "eta_from",
        "eta_to",
        "pickup_point",
        "proof_of_delivery",
        "delivered_at",
        "next_poll_at",
        "last_polled_at",
        "poll_count",
        "poll_errors",
        "last_event_at",
        "last_error",
        "last_error_kind",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    inlines = [TrackingEventInline, StatusChangeInline]
    show_full_result_count = False
    actions = ["export_csv", "poll_now"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        obj.shop_id = obj.order.shop_id
        super().save_model(request, obj, form, change)

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Make the selected shipments due and wake the dispatcher (the base keeps only shops the user may change)."""
        count = shipments_poll_now(shipment_ids=list(queryset.values_list("pk", flat=True)))
        if count:
            publish_on_commit("shipments.poll_dispatch")
        self.message_user(
            request,
            f"{count} shipment(s) will be polled within a minute (DHL: once its per-parcel quota allows); "
            "delivered or closed ones are skipped.",
            messages.SUCCESS,
        )


SECRET_FIELDS = ("api_key", "password", "webhook_secret")


class CarrierAccountForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; left empty, the stored value is kept."""

    carrier = forms.ChoiceField(choices=carrier_choices)
    api_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="HMAC-SHA256 key for X-Parcelfront-Signature on /webhooks/carriers/<carrier>/<shop>/",
    )
    clear_secrets = forms.BooleanField(required=False, help_text="Remove the stored key, password and secret")

    class Meta:
        model = CarrierAccount
        fields = ["shop", "carrier", "enabled", "api_key", "username", "password", "account_number", "webhook_secret"]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = "Stored. Leave empty to keep it. " + self.fields[name].help_text

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if self.cleaned_data.get("clear_secrets"):
                cleaned[name] = ""
            elif not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


# What the platform learned about a carrier account by using it: shown, never edited.
ACCOUNT_HEALTH_FIELDS = [
    "paused_until",
    "last_auth_error",
    "last_auth_error_at",
    "last_success_at",
    "success_count",
    "error_count",
    "last_error",
    "last_error_kind",
    "last_error_at",
]


@admin.register(CarrierAccount)
class CarrierAccountAdmin(TenantScopedAdmin):
    """A shop's carrier credentials (write-only secrets) and that carrier's health for the shop."""

    role_actions = OWNER_ONLY
    form = CarrierAccountForm
    audited_fields = ("api_key", "username", "password", "account_number", "webhook_secret", "enabled")
    audit_action = AuditAction.CARRIER_CREDENTIALS_CHANGED
    list_display = [
        "carrier",
        "shop",
        "enabled",
        "uses_own_credentials",
        "paused_until",
        "last_success_at",
        "success_count",
        "error_count",
        "last_error_kind",
        "last_error_at",
        "last_auth_error_at",
    ]
    list_filter = ["carrier", "enabled", "last_error_kind", "shop"]
    list_select_related = ["shop"]
    autocomplete_fields = ["shop"]
    readonly_fields = [*ACCOUNT_HEALTH_FIELDS, "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["shop", "carrier", "enabled"]}),
        (
            "Credentials (empty: the deployment's CARRIER_<CODE>_* settings are used)",
            {"fields": ["api_key", "username", "password", "account_number", "webhook_secret", "clear_secrets"]},
        ),
        ("Health", {"fields": ACCOUNT_HEALTH_FIELDS}),
    ]
    actions = ["export_csv", "resume"]

    @admin.display(boolean=True, description="Own credentials")
    def uses_own_credentials(self, obj: CarrierAccount) -> bool:
        return obj.has_credentials

    @admin.action(description="Resume polling now (clear the pause)", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Lift an auth pause after the credentials were fixed; parcels become due on the next tick."""
        count = queryset.update(paused_until=None)
        self.message_user(request, f"{count} account(s) resumed.", messages.SUCCESS)


@admin.register(UnmappedCode)
class UnmappedCodeAdmin(TenantScopedAdmin):
    """Raw carrier codes our mappings miss (not tenant data): superusers only, read-only."""

    role_actions = {role: NOTHING for role in ("owner", "marketer", "support")}
    list_display = ["carrier", "raw_code", "example_text", "count", "first_seen", "last_seen"]
    list_filter = ["carrier"]
    search_fields = ["raw_code", "example_text"]
    readonly_fields = list_display

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not tenant data, so there is nothing to scope by: everyone but superusers sees nothing.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UnmappedCode | None = None) -> bool:
        return False
