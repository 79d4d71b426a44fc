"""The delivery analytics page of the admin and its CSV export, for the shop the user may analyse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from analytics.access import ANALYTICS_ROLES, shop_choice
from analytics.accuracy import estimate_accuracy
from analytics.charts import chart_svg
from analytics.delivery_charts import durations_chart, rates_chart
from analytics.filters import DeliveryFilterForm
from analytics.kpis import KPI_FIELDS, Split, shop_carriers, shop_countries
from config.csv_files import csv_export_response
from shipments.lateness import shop_zone
from shops.models import Shop
from shops.selectors import shops_for_user

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite


def _analysed_shop(request: HttpRequest) -> Shop:
    shop = shop_choice(user=request.user, requested=request.GET.get("shop"), roles=ANALYTICS_ROLES)
    if shop is None:
        raise Http404("No shop to analyse.")
    return shop


def _form(request: HttpRequest, shop: Shop) -> DeliveryFilterForm:
    today = timezone.now().astimezone(shop_zone(shop)).date()
    return DeliveryFilterForm(request.GET, today=today)


def delivery_analytics_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    """Filters, headline KPIs, SVG charts and the per-period table of the chosen shop."""
    shop = _analysed_shop(request)
    form = _form(request, shop)
    context = {
        **site.each_context(request),
        "title": "Delivery analytics",
        "shop": shop,
        "shops": shops_for_user(user=request.user, roles=set(ANALYTICS_ROLES)).order_by("name", "pk"),
        "form": form,
        "carriers": shop_carriers(shop=shop),
        "countries": shop_countries(shop=shop),
    }
    if form.is_valid():
        query = form.query()
        rows = query.kpis(shop=shop)
        overall = rows if query.split == Split.NONE else query.kpis(shop=shop, split=Split.NONE)
        context.update(
            query=query,
            rows=rows,
            totals=query.totals(shop=shop),
            # Our own matplotlib output with escaped labels: safe to inline.
            rates_svg=mark_safe(chart_svg(rates_chart(overall, query.grouping))),
            durations_svg=mark_safe(chart_svg(durations_chart(overall, query.grouping))),
            csv_query=request.GET.urlencode(),
            accuracy=estimate_accuracy(shop=shop, start=query.start, end=query.end),
        )
    return TemplateResponse(request, "admin/analytics/delivery.html", context)


def delivery_csv_view(request: HttpRequest) -> HttpResponse:
    """The same rows as the page, as CSV (one line per period and carrier or lane)."""
    shop = _analysed_shop(request)
    form = _form(request, shop)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    query = form.query()
    rows = query.kpis(shop=shop)
    return csv_export_response(
        filename=f"delivery-{shop.slug}-{query.start}-{query.end}.csv",
        header=KPI_FIELDS,
        rows=([getattr(row, name) for name in KPI_FIELDS] for row in rows),
    )
