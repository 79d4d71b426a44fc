"""A campaign's results as the admin shows them: a table and an SVG bar chart, from a Django template."""

from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from campaigns.analytics import CampaignReport, VariantStats

CHART_ROWS = (("sent", "#1f4e79"), ("delivered", "#2e75b6"), ("opened", "#9dc3e6"), ("clicked", "#f2a900"))
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 14, 4, 140, 320


@dataclass(frozen=True)
class ReportRow:
    """One variant's (or the total's) numbers, written as the table shows them."""

    variant: str
    sent: int
    delivered: str
    opened: str
    clicked: int
    ctr: str
    page_clicks: int
    codes_allocated: int
    codes_redeemed: int
    revenue: str


@dataclass(frozen=True)
class ChartBar:
    """One bar of the chart: its label, its rectangle and its value, in SVG units."""

    variant: str
    name: str
    value: int
    colour: str
    y: int
    length: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 3

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.length + 4


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def _row(entry: VariantStats) -> ReportRow:
    return ReportRow(
        variant=entry.variant,
        sent=entry.sent,
        delivered=_count(entry.delivered),
        opened=_count(entry.opened),
        clicked=entry.clicked,
        ctr=_percent(entry.ctr),
        page_clicks=entry.page_clicks,
        codes_allocated=entry.codes_allocated,
        codes_redeemed=entry.codes_redeemed,
        revenue=f"{entry.revenue.quantize(Decimal('0.01'))}",
    )


def _bars(report: CampaignReport) -> tuple[list[ChartBar], int]:
    variants = report.variants
    peak = max([1] + [getattr(entry, name) or 0 for entry in variants for name, _ in CHART_ROWS])
    bars, y = [], 0
    for entry in variants:
        for name, colour in CHART_ROWS:
            value = getattr(entry, name) or 0
            bars.append(ChartBar(entry.variant, name, value, colour, y, round(CHART_WIDTH * value / peak)))
            y += BAR_HEIGHT + BAR_GAP
        y += BAR_GAP * 2
    return bars, y


def report_html(report: CampaignReport) -> SafeString:
    """The results table and an inline SVG bar chart (no JavaScript, no third-party assets)."""
    entries = [*report.variants, report.total] if len(report.variants) > 1 else report.variants
    notes = []
    if not report.message_data:
        notes.append("Delivery and open data are not available from the email app; 'sent' counts handed-over emails.")
    notes.extend(significance.verdict for significance in report.significance)
    bars, height = _bars(report)
    return render_to_string(
        "admin/campaigns/campaign/report.html",
        {
            "rows": [_row(entry) for entry in entries],
            "bars": bars,
            "chart": {
                "width": LABEL_WIDTH + CHART_WIDTH + 60,
                "height": height,
                "label_width": LABEL_WIDTH,
                "bar_height": BAR_HEIGHT,
            },
            "notes": notes,
        },
        using="django",
    )
