"""Delivery analytics in the v1 API: the same figures, groupings and filters as the admin's analytics page."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from pydantic import BaseModel

from analytics.filters import DeliveryFilterForm
from analytics.kpis import KpiRow, delivery_kpis, delivery_totals
from api.problems import ApiProblem
from api.schemas import READ_ERRORS
from shipments.lateness import shop_zone

router = Router(tags=["analytics"])
FILTERS = ("start", "end", "grouping", "split", "carrier", "country")


class KpiOut(BaseModel):
    period: date
    carrier: str
    service: str
    destination_country: str
    shipped: int
    delivered: int
    delivered_rate: float | None
    on_time_first_estimate_rate: float | None
    on_time_promised_rate: float | None
    first_attempt_rate: float | None
    exception_rate: float | None
    expired_rate: float | None
    return_rate: float | None
    order_to_pickup_p50: int | None
    order_to_pickup_p90: int | None
    pickup_to_delivery_p50: int | None
    pickup_to_delivery_p90: int | None
    order_to_delivery_p50: int | None
    order_to_delivery_p90: int | None


class DeliveryAnalyticsOut(BaseModel):
    start: date
    end: date
    grouping: str
    split: str
    totals: KpiOut
    items: list[KpiOut]


def _out(row: KpiRow) -> KpiOut:
    return KpiOut(**row.__dict__)


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
    rows = delivery_kpis(
        shop=shop,
        start=query.start,
        end=query.end,
        grouping=query.grouping,
        split=query.split,
        carrier=query.carrier,
        country=query.country,
    )
    totals = delivery_totals(shop=shop, start=query.start, end=query.end, carrier=query.carrier, country=query.country)
    return DeliveryAnalyticsOut(
        start=query.start,
        end=query.end,
        grouping=query.grouping.value,
        split=query.split.value,
        totals=_out(totals),
        items=[_out(row) for row in rows],
    )
