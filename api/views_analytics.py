"""Delivery analytics in the v1 API: the same figures, groupings and filters as the admin's analytics page."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from pydantic import BaseModel

from analytics.filters import DeliveryFilterForm
from analytics.kpis import KpiRow
from api.problems import ApiProblem
from api.schemas import READ_ERRORS
from shipments.lateness import shop_zone

router = Router(tags=["analytics"])
FILTERS = ("start", "end", "grouping", "split", "carrier", "country")


class DeliveryAnalyticsOut(BaseModel):
    start: date
    end: date
    grouping: str
    split: str
    # The one KPI row of analytics.kpis, as it is (pydantic reads the dataclass): the admin and the API cannot drift.
    totals: KpiRow
    items: list[KpiRow]


@router.get(
    "/analytics/delivery",
    response={200: DeliveryAnalyticsOut, **READ_ERRORS},
    summary="Delivery KPIs of parcels shipped in a range, per week or month, optionally per carrier or lane",
    description=(
        "Query: start, end (YYYY-MM-DD, shipped-on days; default the last 12 weeks), grouping (week|month), "
        "split (none|carrier|lane), carrier, country. Rates are shares 0..1 (null: nothing to divide); "
        "durations are business-day percentiles."
    ),
)
def delivery_analytics(request: HttpRequest) -> DeliveryAnalyticsOut:
    shop = request.shop  # type: ignore[attr-defined]
    unknown = sorted(set(request.GET) - set(FILTERS))
    errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
    form = DeliveryFilterForm(request.GET, today=timezone.now().astimezone(shop_zone(shop)).date())
    if not form.is_valid():
        errors += [{"field": field, "message": " ".join(messages)} for field, messages in form.errors.items()]
    if errors:
        raise ApiProblem(422, "The request's query parameters are not valid.", slug="validation-error", errors=errors)
    query = form.query()
    return DeliveryAnalyticsOut(
        start=query.start,
        end=query.end,
        grouping=query.grouping.value,
        split=query.split.value,
        totals=query.totals(shop=shop),
        items=query.kpis(shop=shop),
    )
