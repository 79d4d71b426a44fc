"""Parcelfront's admin site: the home page is the shop's dashboard, and navigation follows the work
(Parcels, Watchlist, Returns, Customers' messages, Marketing, Analytics, Settings, Developers) instead
of our app names.

Only the home page and the grouping change: every model admin, and so every permission and tenant
scope, is still the app's own (``shops.admin_base``); a section shows only the models the user's role
may see, and a section with none is left out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone

from analytics.access import ANALYTICS_ROLES, shop_choice
from analytics.admin_views import delivery_analytics_view, delivery_csv_view
from analytics.home import dashboard_context

SECTIONS = (
    ("parcels", "Parcels"),
    ("watchlist", "Watchlist"),
    ("returns", "Returns"),
    ("customers-messages", "Customers' messages"),
    ("marketing", "Marketing"),
    ("analytics", "Analytics"),
    ("settings", "Settings"),
    ("developers", "Developers"),
)
APP_SECTIONS = {
    "shipments": "parcels",
    "tracking_portal": "customers-messages",
    "watchlist": "watchlist",
    "returns": "returns",
    "notifications": "customers-messages",
    "feedback": "customers-messages",
    "campaigns": "marketing",
    "analytics": "analytics",
    "api": "developers",
}
MODEL_SECTIONS = {
    ("shipments", "carrieraccount"): "settings",
    ("shipments", "unmappedcode"): "developers",
    ("tracking_portal", "pageactivity"): "analytics",
    ("watchlist", "incidentrule"): "settings",
    ("returns", "returnrule"): "settings",
    ("returns", "returnreason"): "settings",
    ("returns", "returnsettings"): "settings",
    ("notifications", "notificationsettings"): "settings",
    ("notifications", "statustemplate"): "settings",
    ("shops", "apikey"): "developers",
}


class ParcelfrontAdminSite(admin.AdminSite):
    """``admin.site``: the dashboard as the index and task-organized navigation."""

    site_header = "Parcelfront"
    site_title = "Parcelfront admin"
    index_title = "Your shop"
    index_template = "admin/analytics/dashboard.html"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path(
                "analytics/delivery/",
                self.admin_view(lambda request: delivery_analytics_view(request, site=self)),
                name="analytics_delivery",
            ),
            path("analytics/delivery.csv", self.admin_view(delivery_csv_view), name="analytics_delivery_csv"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {**dashboard_context(request, now=timezone.now()), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page keeps its models
        return task_sections(apps, index_url=reverse("admin:index", current_app=self.name), request=request)


def task_sections(apps: list[dict[str, Any]], *, index_url: str, request: HttpRequest) -> list[dict[str, Any]]:
    """Regroup Django's per-app list into the task sections, each model in exactly one section."""
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SECTIONS}
    for app in apps:
        for model in app["models"]:
            key = (app["app_label"], model["object_name"].lower())
            grouped[MODEL_SECTIONS.get(key, APP_SECTIONS.get(app["app_label"], "settings"))].append(model)
    analytics_link = _delivery_analytics_link(request)
    if analytics_link is not None:
        grouped["analytics"].insert(0, analytics_link)
    return [
        {
            "name": name,
            "app_label": key,
            "app_url": f"{index_url}#{key}",
            "has_module_perms": True,
            "models": sorted(grouped[key], key=lambda model: str(model["name"])),
        }
        for key, name in SECTIONS
        if grouped[key]
    ]


def _delivery_analytics_link(request: HttpRequest) -> dict[str, Any] | None:
    if shop_choice(user=request.user, requested=None, roles=ANALYTICS_ROLES) is None:
        return None
    return {
        "name": "Delivery analytics",
        "object_name": "DeliveryAnalytics",
        "admin_url": reverse("admin:analytics_delivery"),
        "add_url": None,
        "view_only": True,
        "perms": {"view": True},
    }
