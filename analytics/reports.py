"""The monthly carrier report: last month's KPIs per carrier, the trend, and SLA attainment, emailed to the
shop's owners with PNG charts inline (mail clients do not show SVG); once per shop and month."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from analytics.charts import chart_png
from analytics.delivery_charts import carriers_chart, rates_chart
from analytics.kpis import Grouping, Split, delivery_kpis
from analytics.models import MonthlyReport, SlaTarget
from analytics.sla import owner_emails, sla_attainment_between
from notifications.staff_mail import staff_email_send
from shipments.lateness import shop_zone
from shops.models import Shop

TREND_MONTHS = 6
# Reports go out in the first days of a month; a shop created later waits for the next month.
SEND_WITHIN_DAYS = 7


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_before(month: date, count: int) -> date:
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def monthly_report_send(*, shop: Shop, month: date) -> MonthlyReport | None:
    """Email ``shop``'s owners the report of ``month`` (its first day), once; None when nothing shipped or sent before."""
    last = month_end(month)
    carriers = delivery_kpis(shop=shop, start=month, end=last, grouping=Grouping.MONTH, split=Split.CARRIER)
    if not carriers:
        return None
    trend = delivery_kpis(shop=shop, start=months_before(month, TREND_MONTHS - 1), end=last, grouping=Grouping.MONTH)
    targets = [
        (target, sla_attainment_between(target=target, start=month, end=last))
        for target in SlaTarget.objects.filter(shop=shop, is_active=True)
    ]
    context = {"shop": shop, "month": month, "carriers": carriers, "trend": trend, "targets": targets}
    recipients = owner_emails(shop)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(shop=shop, month=month, owner_count=len(recipients))
            # Inside the transaction: a failed send leaves no row, so the next tick tries again.
            staff_email_send(
                shop=shop,
                recipients=recipients,
                subject=f"{shop.name}: carriers' performance in {month:%B %Y}",
                text=render_to_string("analytics/monthly_report.txt", context),
                html=render_to_string("analytics/monthly_report.html", context),
                inline_images={
                    "carriers": chart_png(carriers_chart(carriers, title=f"Carriers in {month:%B %Y}")),
                    "trend": chart_png(rates_chart(trend, Grouping.MONTH)),
                },
            )
    except IntegrityError:
        return None  # sent before
    return report


def monthly_reports_send(*, now: datetime) -> int:
    """Send last month's report to every active shop that has not had it, in the month's first days."""
    sent = 0
    for shop in Shop.objects.filter(is_active=True):
        today = now.astimezone(shop_zone(shop)).date()
        if today.day > SEND_WITHIN_DAYS:
            continue
        month = months_before(today.replace(day=1), 1)
        if MonthlyReport.objects.filter(shop=shop, month=month).exists():
            continue
        if monthly_report_send(shop=shop, month=month) is not None:
            sent += 1
    return sent
