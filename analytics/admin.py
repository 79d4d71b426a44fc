"""Admin of service levels: SLA targets (owners set them, support reads them) and the weeks they were missed."""

from django.contrib import admin

from analytics.models import SlaBreach, SlaTarget
from shops.admin_base import ALL, READ, TenantScopedAdmin
from shops.models import Role


@admin.register(SlaTarget)
class SlaTargetAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: ALL, Role.SUPPORT: READ}
    list_display = ["carrier", "destination_country", "metric", "within_days", "target_percent", "is_active", "shop"]
    list_filter = ["carrier", "metric", "is_active", "shop"]
    fields = [
        "shop",
        "carrier",
        "destination_country",
        "metric",
        "within_days",
        "target_percent",
        "min_deliveries",
        "is_active",
    ]


@admin.register(SlaBreach)
class SlaBreachAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: READ, Role.SUPPORT: READ}
    list_display = ["period_start", "target", "attained_percent", "deliveries", "created_at"]
    list_filter = ["target__carrier", "shop"]
    readonly_fields = ["shop", "target", "period_start", "attained_percent", "deliveries", "created_at"]
    fields = readonly_fields
