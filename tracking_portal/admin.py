"""Read-only admin for what the tracking page records: view and click counters."""

from django.contrib import admin

from shops.admin_base import READ, TenantScopedAdmin
from shops.models import Role
from tracking_portal.models import PageActivity

EVERY_ROLE_READS = {Role.OWNER: READ, Role.MARKETER: READ, Role.SUPPORT: READ}


@admin.register(PageActivity)
class PageActivityAdmin(TenantScopedAdmin):
    role_actions = EVERY_ROLE_READS
    list_display = ["order", "kind", "count", "first_at", "last_at"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order"]
    readonly_fields = ["shop", "order", "kind", "count", "first_at", "last_at"]
