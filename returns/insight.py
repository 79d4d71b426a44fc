"""Return insight: how much of what was ordered comes back, and why, by product, category and carrier.

One cohort: the orders placed in the date range, and what of them was returned (returns not rejected),
so a rate never exceeds 100% and a late return still counts for its order. The carrier is the one of the
order's first outbound parcel: return parcels never count as deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from returns.models import ReturnItem, ReturnState
from shipments.models import Direction, OrderItem, Shipment

DIMENSIONS = ("product", "category", "carrier")


@dataclass
class RateRow:
    """Ordered and returned quantities of one product, category or carrier, with the reasons given."""

    key: str
    label: str
    ordered: int = 0
    returned: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> Decimal | None:
        """Returned share of ordered, as a fraction rounded to 0.1% (None when nothing was ordered)."""
        return _fraction(self.returned, self.ordered)

    @property
    def rate_text(self) -> str:
        return f"{self.rate:.1%}" if self.rate is not None else "—"

    @property
    def reasons_text(self) -> str:
        return "; ".join(f"{reason}: {count}" for reason, count in self.reasons.most_common())


@dataclass
class ReturnInsight:
    """The report of one date range: totals, the rows of each dimension (most returned first), the reasons."""

    since: date
    until: date
    total: RateRow
    rows: dict[str, list[RateRow]]
    reasons: list[tuple[str, int]]


def _fraction(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _carrier_of(order_path: str) -> Subquery:
    first_outbound = Shipment.objects.filter(order=OuterRef(order_path), direction=Direction.OUTBOUND).order_by("pk")
    return Subquery(first_outbound.values("carrier")[:1])


def _cohort(shop_ids: Iterable[int] | None, since: date, until: date) -> tuple[QuerySet, QuerySet]:
    ordered = OrderItem.objects.filter(order__placed_at__date__gte=since, order__placed_at__date__lte=until)
    returned = ReturnItem.objects.exclude(return_request__state=ReturnState.REJECTED).filter(
        return_request__order__placed_at__date__gte=since, return_request__order__placed_at__date__lte=until
    )
    if shop_ids is not None:
        shop_ids = list(shop_ids)
        ordered = ordered.filter(order__shop_id__in=shop_ids)
        returned = returned.filter(return_request__shop_id__in=shop_ids)
    return ordered, returned


def return_insight(*, shop_ids: Iterable[int] | None, since: date, until: date) -> ReturnInsight:
    """The report for the shops (None: all) over the orders placed between the two days, both included."""
    ordered, returned = _cohort(shop_ids, since, until)
    rows: dict[str, dict[str, RateRow]] = {dimension: {} for dimension in DIMENSIONS}
    total = RateRow(key="", label="")

    def row(dimension: str, key: str, label: str) -> RateRow:
        return rows[dimension].setdefault(key, RateRow(key=key, label=label or key))

    ordered_rows = (
        ordered.annotate(carrier=_carrier_of("order"))
        .values("sku", "name", "category", "carrier")
        .annotate(quantity=Sum("quantity"))
    )
    for line in ordered_rows:
        for dimension, key, label in _keys(line["sku"], line["name"], line["category"], line["carrier"]):
            row(dimension, key, label).ordered += line["quantity"]
        total.ordered += line["quantity"]
    returned_rows = (
        returned.annotate(carrier=_carrier_of("return_request__order"))
        .values("sku", "name", "order_item__category", "carrier", "reason__label")
        .annotate(quantity=Sum("quantity"))
    )
    for line in returned_rows:
        keys = _keys(line["sku"], line["name"], line["order_item__category"], line["carrier"])
        for dimension, key, label in keys:
            entry = row(dimension, key, label)
            entry.returned += line["quantity"]
            entry.reasons[line["reason__label"]] += line["quantity"]
        total.returned += line["quantity"]
        total.reasons[line["reason__label"]] += line["quantity"]
    ranked = {
        dimension: sorted(entries.values(), key=lambda entry: (-entry.returned, -entry.ordered, entry.key))
        for dimension, entries in rows.items()
    }
    return ReturnInsight(since=since, until=until, total=total, rows=ranked, reasons=total.reasons.most_common())


def _keys(sku: str, name: str, category: str | None, carrier: str | None) -> list[tuple[str, str, str]]:
    # Lines without a SKU are told apart by name; "" stands for "no category" / "no parcel yet".
    return [
        ("product", sku or name, f"{name} ({sku})" if sku else name),
        ("category", category or "", category or "—"),
        ("carrier", carrier or "", carrier or "—"),
    ]


def return_rate(*, shop_ids: Iterable[int] | None, since: date, until: date) -> Decimal | None:
    """Returned share of the items ordered between the two days (None when nothing was ordered)."""
    ordered, returned = _cohort(shop_ids, since, until)
    ordered_total = ordered.aggregate(total=Sum("quantity"))["total"] or 0
    returned_total = returned.aggregate(total=Sum("quantity"))["total"] or 0
    return _fraction(returned_total, ordered_total)


def insight_csv_rows(insight: ReturnInsight) -> Iterable[list[object]]:
    """The report as CSV rows: one per dimension and key, with that key's reasons."""
    for dimension in DIMENSIONS:
        for entry in insight.rows[dimension]:
            yield [
                dimension,
                entry.key,
                entry.label,
                entry.ordered,
                entry.returned,
                entry.rate_text,
                entry.reasons_text,
            ]
