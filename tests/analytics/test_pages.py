"""The delivery analytics page, its CSV and the API: the same figures, each limited to the caller's shop."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from analytics.kpis import KPI_FIELDS
from shops.services import api_key_create
from tests.analytics.helpers import journey
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 10, 5)
RANGE = {"start": "2026-10-05", "end": "2026-10-25", "grouping": "week", "split": "carrier"}


@pytest.fixture
def history(shop, other_shop):
    for offset in range(15):
        journey(
            shop,
            placed_on=MONDAY + timedelta(days=offset),
            pickup_after=offset % 2,
            transit=1 + offset % 3,
            carrier="dpd" if offset % 3 else "inpost",
            failed_first=offset % 5 == 0,
            promised_delivery_date=MONDAY + timedelta(days=offset + 3),
        )
    journey(other_shop, placed_on=MONDAY, pickup_after=0, transit=9, carrier="gls")


def api_get(shop, params):
    key = api_key_create(shop=shop, name="Reports").raw_key
    return Client().get("/api/v1/analytics/delivery", params, headers={"Authorization": f"Bearer {key}"})


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def normalized(value):
    return "" if value is None else str(value)


def test_the_admin_page_the_csv_and_the_api_report_the_same_figures(client, shop, owner, history):
    # given the owner logged in
    client.force_login(owner)

    # when the page, its CSV and the API are asked the same question
    page = client.get(reverse("admin:analytics_delivery"), RANGE)
    exported = client.get(reverse("admin:analytics_delivery_csv"), RANGE)
    answer = api_get(shop, RANGE)

    # then all three carry the same rows, field for field
    assert page.status_code == exported.status_code == answer.status_code == 200
    body = answer.json()
    page_rows = [{name: normalized(getattr(row, name)) for name in KPI_FIELDS} for row in page.context["rows"]]
    api_rows = [{name: normalized(item[name]) for name in KPI_FIELDS} for item in body["items"]]
    assert csv_rows(exported) == page_rows == api_rows
    assert {row["carrier"] for row in api_rows} == {"dpd", "inpost"}
    assert sum(item["shipped"] for item in body["items"]) == body["totals"]["shipped"] == 15
    # and the page draws its charts inline, with no third-party requests
    charts = [part.split("</svg>", 1)[0] for part in page.content.decode().split('<div class="pf-chart"><svg')[1:]]
    assert len(charts) == 2
    assert not [chart for chart in charts if "https://" in chart or "http://" in chart.replace("http://www.w3.org", "")]


def test_month_grouping_sums_the_weeks(shop, history):
    # when the API is asked per week and per month over the same days
    weeks = api_get(shop, {"start": "2026-10-01", "end": "2026-10-31", "grouping": "week"}).json()
    months = api_get(shop, {"start": "2026-10-01", "end": "2026-10-31", "grouping": "month"}).json()

    # then one month row holds every parcel of the weeks, with the same overall percentiles as the totals
    (month,) = months["items"]
    assert month["period"] == "2026-10-01"
    assert month["shipped"] == sum(item["shipped"] for item in weeks["items"]) == 15
    assert month["order_to_delivery_p90"] == months["totals"]["order_to_delivery_p90"]


def test_each_shop_sees_only_its_own_figures(client, shop, other_shop, owner, history):
    # given the owner of the first shop, and the second shop's own API key
    client.force_login(owner)

    # when the owner asks for the other shop's page and CSV, and the other shop asks the API
    page = client.get(reverse("admin:analytics_delivery"), {**RANGE, "shop": other_shop.pk})
    exported = client.get(reverse("admin:analytics_delivery_csv"), {**RANGE, "shop": other_shop.pk})
    answer = api_get(other_shop, {**RANGE, "split": "lane"}).json()

    # then the owner gets nothing of the other shop, and the other shop only its one parcel
    assert (page.status_code, exported.status_code) == (404, 404)
    assert [(item["carrier"], item["shipped"]) for item in answer["items"]] == [("gls", 1)]
    own = client.get(reverse("admin:analytics_delivery_csv"), {**RANGE, "split": "lane"})
    assert "gls" not in own.content.decode()


def test_a_marketer_has_no_delivery_analytics(client, shop, marketer, history):
    client.force_login(marketer)

    assert client.get(reverse("admin:analytics_delivery")).status_code == 404
    assert client.get(reverse("admin:analytics_delivery_csv")).status_code == 404


def test_a_superuser_chooses_the_shop(client, shop, other_shop, superuser, history):
    client.force_login(superuser)

    response = client.get(reverse("admin:analytics_delivery_csv"), {**RANGE, "shop": other_shop.pk})

    assert [row["carrier"] for row in csv_rows(response)] == ["gls"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-10-10", "end": "2026-10-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-10-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"grouping": "day"}, "grouping"),
        ({"country": "Poland"}, "country"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_get_a_clear_error(client, shop, owner, params, field):
    # when the API and the CSV are asked with a bad filter
    answer = api_get(shop, params)
    client.force_login(owner)
    exported = client.get(reverse("admin:analytics_delivery_csv"), params)
    page = client.get(reverse("admin:analytics_delivery"), params)

    # then the API names the field, and the admin refuses the CSV and shows the form's error
    assert answer.status_code == 422
    assert field in [error["field"] for error in answer.json()["errors"]]
    if field != "colour":
        assert exported.status_code == 400
        assert field in exported.content.decode()
        assert page.status_code == 200 and field in page.context["form"].errors


def test_a_member_of_two_shops_switches_between_them(client, shop, other_shop, owner, history):
    MembershipFactory(user=owner, shop=other_shop, role="support")
    client.force_login(owner)

    response = client.get(reverse("admin:analytics_delivery_csv"), {**RANGE, "shop": other_shop.pk})

    assert [row["carrier"] for row in csv_rows(response)] == ["gls"]
