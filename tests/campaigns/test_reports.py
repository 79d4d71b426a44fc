"""The results the campaign admin shows: table rows and chart bars from the report, through a template."""

from decimal import Decimal

from campaigns.admin.reports import report_html
from campaigns.analytics import CampaignReport, VariantStats
from campaigns.models import Campaign


def _report(*, message_data=True):
    a = VariantStats("A", sent=10, delivered=9 if message_data else None, opened=4 if message_data else None, clicked=2)
    b = VariantStats(
        "B", sent=20, delivered=18 if message_data else None, opened=8 if message_data else None, clicked=5
    )
    a.revenue, b.revenue = Decimal("12.5"), Decimal("0")
    total = VariantStats("total", sent=30, delivered=27 if message_data else None, clicked=7)
    return CampaignReport(campaign=Campaign(name="Thanks"), variants=[a, b], total=total, message_data=message_data)


def test_report_has_one_table_row_per_variant_and_the_total():
    html = report_html(_report())

    assert html.count("<tr><td>") == 3
    assert "<tr><td>A</td><td>10</td><td>9</td><td>4</td><td>2</td><td>20.0%</td>" in html
    assert "<td>12.50</td></tr>" in html
    assert "Delivery and open data are not available" not in html


def test_chart_has_a_bar_per_variant_and_number_scaled_to_the_largest():
    html = report_html(_report())

    assert html.count("<rect ") == 8
    assert '<rect x="140" y="80" width="320" height="14" fill="#1f4e79"><title>B sent: 20</title></rect>' in html
    assert '<rect x="140" y="0" width="160" height="14" fill="#1f4e79"><title>A sent: 10</title></rect>' in html


def test_without_message_data_the_report_says_so_and_shows_dashes():
    html = report_html(_report(message_data=False))

    assert "<tr><td>A</td><td>10</td><td>—</td><td>—</td>" in html
    assert "Delivery and open data are not available from the email app" in html
