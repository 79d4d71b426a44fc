"""Return insight: what comes back, why, and with which carrier's parcels, over a date range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery, Sum

from returns.models import ReturnItem, ReturnState
from shipments.models import Direction, OrderItem, Shipment


@dataclass(frozen=True)
class InsightRow:
    """Returned quantity of one product for one reason and outbound carrier, beside the product's return rate."""

    sku: str
    name: str
    category: str
    carrier: str
    reason: str
    returned_quantity: int
    ordered_quantity: int

    @property
    def return_rate(self) -> str:
        return f"{self.returned_quantity / self.ordered_quantity:.1%}" if self.ordered_quantity else "—"


def return_insight_rows(*, shop_ids: Iterable[int] | None, since: date, until: date) -> list[InsightRow]:
    """Rows of the insight report for the shops (None: all) over returns asked for between the two days."""
    returned = ReturnItem.objects.exclude(return_request__state=ReturnState.REJECTED).filter(
        return_request__created_at__date__gte=since, return_request__created_at__date__lte=until
    )
    ordered = OrderItem.objects.filter(order__placed_at__date__gte=since, order__placed_at__date__lte=until)
    if shop_ids is not None:
        shop_ids = list(shop_ids)
        returned = returned.filter(return_request__shop_id__in=shop_ids)
        ordered = ordered.filter(order__shop_id__in=shop_ids)
    carrier = Shipment.objects.filter(order=OuterRef("return_request__order"), direction=Direction.OUTBOUND)
    grouped = (
        returned.annotate(carrier=Subquery(carrier.order_by("pk").values("carrier")[:1]))
        .values("sku", "name", "order_item__category", "carrier", "reason__label")
        .annotate(quantity=Sum("quantity"))
        .order_by("-quantity", "sku", "reason__label")
    )
    ordered_by_sku = dict(ordered.values("sku").annotate(total=Sum("quantity")).values_list("sku", "total"))
    returned_by_sku: dict[str, int] = {}
    for row in grouped:
        returned_by_sku[row["sku"]] = returned_by_sku.get(row["sku"], 0) + row["quantity"]
    return [
        InsightRow(
            sku=row["sku"],
            name=row["name"],
            category=row["order_item__category"] or "",
            carrier=row["carrier"] or "",
            reason=row["reason__label"],
            returned_quantity=row["quantity"],
            ordered_quantity=ordered_by_sku.get(row["sku"], 0),
        )
        for row in grouped
    ]
