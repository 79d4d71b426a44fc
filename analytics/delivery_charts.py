"""The delivery charts of a list of KPI rows: the same figures the table shows, as SVG or PNG."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.charts import Chart, Series
from analytics.kpis import Grouping, KpiRow


def period_label(row: KpiRow, grouping: Grouping) -> str:
    """``2026-W41`` for a week, ``2026-10`` for a month."""
    if grouping == Grouping.WEEK:
        year, week, _ = row.period.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{row.period:%Y-%m}"


def rates_chart(rows: Sequence[KpiRow], grouping: Grouping) -> Chart:
    """Delivered, on-time (first estimate, promised day) and first-attempt rates per period."""
    return Chart(
        title="Rates per period (parcels shipped in it)",
        labels=[period_label(row, grouping) for row in rows],
        series=[
            Series("Delivered", [row.delivered_rate for row in rows]),
            Series("On time vs first estimate", [row.on_time_first_estimate_rate for row in rows]),
            Series("On time vs promised day", [row.on_time_promised_rate for row in rows]),
            Series("Delivered at first attempt", [row.first_attempt_rate for row in rows]),
        ],
        percent=True,
    )


def durations_chart(rows: Sequence[KpiRow], grouping: Grouping) -> Chart:
    """Order->delivery and pickup->delivery p50/p90 in business days per period."""
    return Chart(
        title="Business days (p50 and p90)",
        labels=[period_label(row, grouping) for row in rows],
        series=[
            Series("Order→delivery p50", [row.order_to_delivery_p50 for row in rows]),
            Series("Order→delivery p90", [row.order_to_delivery_p90 for row in rows]),
            Series("Pickup→delivery p50", [row.pickup_to_delivery_p50 for row in rows]),
            Series("Pickup→delivery p90", [row.pickup_to_delivery_p90 for row in rows]),
        ],
        y_label="business days",
    )


def carriers_chart(rows: Sequence[KpiRow], *, title: str) -> Chart:
    """One bar group per carrier: delivered at first attempt and on time against the promised day / first estimate."""
    return Chart(
        title=title,
        labels=[row.carrier or "all" for row in rows],
        series=[
            Series("Delivered", [row.delivered_rate for row in rows]),
            Series("On time vs first estimate", [row.on_time_first_estimate_rate for row in rows]),
            Series("First attempt", [row.first_attempt_rate for row in rows]),
        ],
        percent=True,
        kind="bar",
    )
