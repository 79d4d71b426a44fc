"""Admin of shop connections: set-up per store (write-only secrets), test, sync now, resume; health in plain words."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from config.celery import publish_on_commit
from integrations.health import connection_paused, connection_resume
from integrations.models import Platform, PlatformParcel, ShopConnection
from integrations.sync import connection_test
from shops.admin_base import ORDERS, OWNER_ONLY, TenantScopedAdmin
from shops.models import AuditAction

SECRET_FIELDS = ("api_token", "api_secret", "webhook_secret")
SYNC_TASK = "integrations.sync_connection"

# What each platform needs, shown above the form.
SET_UP_HELP = {
    Platform.BASELINKER: "API token (BaseLinker: Account & other > My account > API). Turn on the order journal.",
    Platform.SHOPIFY: "Store address, Admin API access token, and the app's API secret key as webhook secret.",
    Platform.WOOCOMMERCE: "Shop address (https), REST consumer key and secret, and each webhook's secret.",
}


class ShopConnectionForm(forms.ModelForm):
    """Credentials are write-only: never rendered back; left empty, the stored value is kept."""

    api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="BaseLinker API token / Shopify Admin API access token / WooCommerce consumer key",
    )
    api_secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text="WooCommerce consumer secret"
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Shopify: the app's API secret key; WooCommerce: the secret you typed into each webhook",
    )
    clear_secrets = forms.BooleanField(required=False, help_text="Remove the stored token, secret and webhook secret")

    class Meta:
        model = ShopConnection
        fields = [
            "shop",
            "platform",
            "name",
            "enabled",
            "store_url",
            "api_token",
            "api_secret",
            "webhook_secret",
            "order_number_prefix",
            "first_import_days",
            "write_back_delivered",
            "delivered_status_id",
        ]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = "Stored. Leave empty to keep it. " + self.fields[name].help_text
        if self.instance.pk:
            # The platform decides the webhook URL and the cursor's meaning: a new store is a new connection.
            self.fields["platform"].disabled = True

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if cleaned.get("clear_secrets"):
                cleaned[name] = ""
            elif not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        platform = cleaned.get("platform") or self.instance.platform
        url = cleaned.get("store_url", "")
        if platform in (Platform.SHOPIFY, Platform.WOOCOMMERCE) and url and not url.startswith("https://"):
            self.add_error("store_url", "Use the store's https:// address.")
        if platform == Platform.BASELINKER and url:
            self.add_error("store_url", "BaseLinker needs no address: leave it empty.")
        if cleaned.get("first_import_days") is not None and not 0 <= cleaned["first_import_days"] <= 90:
            self.add_error("first_import_days", "Between 0 and 90 days.")
        return cleaned


HEALTH_FIELDS = [
    "webhook_url",
    "last_sync_at",
    "last_success_at",
    "orders_imported",
    "orders_updated",
    "parcels_imported",
    "error_count",
    "last_error",
    "last_error_at",
    "last_problems",
    "last_problems_at",
    "paused_until",
    "last_auth_error",
    "last_auth_error_at",
    "owner_told_at",
    "first_import_done_at",
    "cursor",
]


@admin.register(ShopConnection)
class ShopConnectionAdmin(TenantScopedAdmin):
    """One store per row: what to enter, whether it works, what it imported, and what went wrong."""

    role_actions = OWNER_ONLY
    form = ShopConnectionForm
    audited_fields = ("api_token", "api_secret", "webhook_secret", "store_url", "enabled", "write_back_delivered")
    audit_action = AuditAction.SHOP_CONNECTION_CHANGED
    audit_delete_action = AuditAction.SHOP_CONNECTION_CHANGED
    list_display = [
        "name",
        "platform",
        "shop",
        "enabled",
        "state",
        "last_sync_at",
        "orders_imported",
        "parcels_imported",
        "last_error_at",
    ]
    list_filter = ["platform", "enabled", "shop"]
    list_select_related = ["shop"]
    autocomplete_fields = ["shop"]
    readonly_fields = HEALTH_FIELDS
    export_fields = ("shop", "platform", "name", "enabled", "last_sync_at", "orders_imported", "parcels_imported")
    fieldsets = [
        (None, {"fields": ["shop", "platform", "name", "enabled"]}),
        (
            "Credentials (" + " | ".join(f"{platform.label}: {words}" for platform, words in SET_UP_HELP.items()) + ")",
            {"fields": ["store_url", "api_token", "api_secret", "webhook_secret", "clear_secrets"]},
        ),
        (
            "Import",
            {"fields": ["order_number_prefix", "first_import_days", "write_back_delivered", "delivered_status_id"]},
        ),
        ("Health", {"fields": HEALTH_FIELDS}),
    ]
    actions = ["export_csv", "test_connection", "sync_now", "resume"]

    @admin.display(description="State")
    def state(self, obj: ShopConnection) -> str:
        if not obj.enabled:
            return "Off"
        if connection_paused(obj):
            return "Paused: credentials refused"
        if obj.last_error_at and (not obj.last_success_at or obj.last_error_at > obj.last_success_at):
            return "Failing: " + obj.last_error[:80]
        if not obj.last_success_at:
            return "Not tried yet"
        if obj.last_problems_at and obj.last_problems_at >= obj.last_success_at:
            return "Working; some orders or parcels need a look: " + obj.last_problems[:80]
        return "Working"

    @admin.display(description="Webhook address to enter on the platform")
    def webhook_url(self, obj: ShopConnection) -> str:
        if not obj.pk or obj.platform == Platform.BASELINKER:
            return "None needed: Parcelfront reads BaseLinker's journal."
        path = reverse("integrations:shop_webhook", args=[obj.platform, obj.public_id])
        return format_html("<code>{}</code>", settings.PUBLIC_BASE_URL.rstrip("/") + path)

    @admin.action(description="Test connection", permissions=["change"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Call each platform with the stored credentials and say what happened in plain words."""
        for connection in queryset.select_related("shop"):
            worked, words = connection_test(connection=connection)
            self.message_user(request, f"{connection}: {words}", messages.SUCCESS if worked else messages.ERROR)

    @admin.action(description="Sync now", permissions=["change"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Queue a sync of each selected connection (a first import can take minutes; the worker runs it)."""
        ids = list(queryset.filter(enabled=True).values_list("pk", flat=True))
        for connection_id in ids:
            publish_on_commit(SYNC_TASK, connection_id=connection_id)
        self.message_user(
            request, f"{len(ids)} sync(s) queued; last sync and counts update when they finish.", messages.SUCCESS
        )

    @admin.action(description="Resume (the credentials are fixed)", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = connection_resume(connection_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} connection(s) resumed.", messages.SUCCESS)


@admin.register(PlatformParcel)
class PlatformParcelAdmin(TenantScopedAdmin):
    """Parcels as the platforms sent them, with what stopped one from becoming a tracked shipment."""

    role_actions = ORDERS
    list_display = ["tracking_number", "courier", "connection", "shipment", "problem", "withdrawn_at", "created_at"]
    list_filter = ["connection__platform", "is_return"]
    search_fields = ["tracking_number", "platform_order_id"]
    list_select_related = ["connection", "shipment"]
    readonly_fields = [field.name for field in PlatformParcel._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PlatformParcel | None = None) -> bool:
        return False
