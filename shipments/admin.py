"""Admin for orders and shipments: support finds an order and sees its whole history."""

from django.contrib import admin

from shipments.models import Order, OrderItem, Shipment, StatusChange, TrackingEvent
from shops.admin_base import ORDERS, TenantScopedAdmin, TenantTabularInline


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
class OrderAdmin(TenantScopedAdmin):
    role_actions = ORDERS
    list_display = ["number", "shop", "customer_name", "customer_email", "placed_at", "total_amount", "currency"]
    list_filter = ["shop", "locale", "marketing_consent"]
    search_fields = ["number", "customer_email", "customer_name", "shipments__tracking_number"]
    date_hierarchy = "placed_at"
    autocomplete_fields = ["shop"]
    readonly_fields = ["public_token", "version", "created_at", "updated_at"]
    inlines = [OrderItemInline, ShipmentInline]
    list_select_related = ["shop"]
    show_full_result_count = False


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
        "last_polled_at",
        "poll_count",
        "last_error",
        "last_error_kind",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    inlines = [TrackingEventInline, StatusChangeInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        obj.shop_id = obj.order.shop_id
        super().save_model(request, obj, form, change)
