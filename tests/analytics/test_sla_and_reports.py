"""SLA targets: attainment from the roll-ups, one alert per missed week; the monthly report with PNG charts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from analytics.models import MonthlyReport, SlaBreach, SlaTarget
from analytics.reports import monthly_report_send, monthly_reports_send
from analytics.sla import sla_attainment, sla_check, sla_check_all
from api.tasks import emit_webhook_event
from tests.analytics.helpers import journey

pytestmark = pytest.mark.django_db

WEEK = date(2026, 10, 5)


@pytest.fixture
def slow_week(shop, owner):
    # 10 parcels: 7 delivered within 2 business days of pickup, 3 in 4
    for index in range(10):
        journey(shop, placed_on=WEEK + timedelta(days=index % 5), pickup_after=0, transit=2 if index < 7 else 4)
    return SlaTarget.objects.create(
        shop=shop,
        carrier="dpd",
        destination_country="PL",
        within_days=2,
        target_percent=Decimal("95"),
        min_deliveries=5,
    )


def test_attainment_is_the_share_within_the_days(slow_week):
    (result,) = sla_attainment(target=slow_week, weeks=[WEEK])

    assert (result.deliveries, result.within, result.percent) == (10, 7, Decimal("70.00"))


def test_a_missed_week_alerts_the_owners_once(slow_week, owner, published, django_capture_on_commit_callbacks):
    # when the week is checked twice
    with django_capture_on_commit_callbacks(execute=True):
        breach = sla_check(target=slow_week, week=WEEK)
        again = sla_check(target=slow_week, week=WEEK)

    # then one breach, one email to the owner, one webhook published
    assert again is None
    assert (breach.attained_percent, breach.deliveries) == (Decimal("70.00"), 10)
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert "70.00%" in mail.outbox[0].body
    webhooks = [kwargs for name, kwargs in published if name == "api.emit_webhook_event"]
    assert webhooks == [
        {
            "shop_id": slow_week.shop_id,
            "event_type": "sla.breached",
            "data": {
                "carrier": "dpd",
                "destination_country": "PL",
                "metric": "pickup_to_delivery",
                "within_business_days": 2,
                "target_percent": "95.00",
                "attained_percent": "70.00",
                "deliveries": 10,
                "week_start": "2026-10-05",
            },
            "dedupe_key": f"sla:{slow_week.pk}:2026-10-05",
        }
    ]
    # and the webhook is a known event type the api records
    assert emit_webhook_event(**webhooks[0])


def test_a_met_target_or_too_few_deliveries_alert_nothing(slow_week):
    slow_week.target_percent = Decimal("70")
    slow_week.save()
    assert sla_check(target=slow_week, week=WEEK) is None

    slow_week.target_percent, slow_week.min_deliveries = Decimal("95"), 11
    slow_week.save()
    assert sla_check(target=slow_week, week=WEEK) is None
    assert not SlaBreach.objects.exists() and mail.outbox == []


def test_a_failed_email_leaves_no_breach_so_the_next_check_alerts(slow_week, monkeypatch):
    import analytics.sla

    def broken(**kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(analytics.sla, "staff_email_send", broken)
    with pytest.raises(ConnectionError):
        sla_check(target=slow_week, week=WEEK)
    assert not SlaBreach.objects.exists()


def test_the_beat_judges_the_last_complete_week(slow_week):
    assert sla_check_all(today=WEEK + timedelta(days=9)) == 1
    assert sla_check_all(today=WEEK + timedelta(days=10)) == 0
    assert SlaBreach.objects.get().period_start == WEEK


def test_the_monthly_report_goes_once_with_png_charts(shop, owner, other_shop, slow_week):
    # when the beat runs on the 2nd of November, twice
    now = datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert monthly_reports_send(now=now) == 1
    assert monthly_reports_send(now=now) == 0

    # then the owner got one report of October with two inline PNG charts referenced by the HTML
    (email,) = mail.outbox
    assert email.to == [owner.email]
    assert "October 2026" in email.subject
    html, _ = email.alternatives[0]
    assert 'src="cid:carriers"' in html and 'src="cid:trend"' in html
    images = [part for part in email.attachments if part.get_content_type() == "image/png"]
    assert sorted(part["Content-ID"] for part in images) == ["<carriers>", "<trend>"]
    assert all(part.get_content().startswith(b"\x89PNG") for part in images)
    assert "dpd: 10 shipped" in email.body
    assert "70.00% of 10" in email.body
    # and the shop without parcels got nothing
    assert not MonthlyReport.objects.filter(shop=other_shop).exists()


def test_no_report_after_the_first_week_or_without_parcels(shop, owner):
    assert monthly_reports_send(now=datetime(2026, 11, 20, tzinfo=UTC)) == 0
    assert monthly_report_send(shop=shop, month=date(2026, 10, 1)) is None
    assert mail.outbox == []
