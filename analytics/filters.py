"""The delivery analytics filters: one validation for the admin page, its CSV and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from analytics.kpis import MAX_RANGE_DAYS, Grouping, KpiRow, Split, delivery_kpis, delivery_totals
from shops.models import Shop

DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class DeliveryQuery:
    """A validated analytics question: a range of shipped days, a grouping, a split, optional filters."""

    start: date
    end: date
    grouping: Grouping
    split: Split
    carrier: str
    country: str

    def kpis(self, *, shop: Shop, split: Split | None = None) -> list[KpiRow]:
        """The question's rows for ``shop`` (``split`` overrides the question's, e.g. NONE for the charts)."""
        return delivery_kpis(
            shop=shop,
            start=self.start,
            end=self.end,
            grouping=self.grouping,
            split=self.split if split is None else split,
            carrier=self.carrier,
            country=self.country,
        )

    def totals(self, *, shop: Shop) -> KpiRow:
        """One row over the whole range and filters."""
        return delivery_totals(shop=shop, start=self.start, end=self.end, carrier=self.carrier, country=self.country)


def default_range(today: date) -> tuple[date, date]:
    """The last ``DEFAULT_WEEKS`` whole weeks up to today."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=DEFAULT_WEEKS - 1)
    return start, today


class DeliveryFilterForm(forms.Form):
    start = forms.DateField(required=False, label="From (shipped on)")
    end = forms.DateField(required=False, label="To")
    grouping = forms.ChoiceField(choices=[(g.value, g.value.capitalize()) for g in Grouping], required=False)
    split = forms.ChoiceField(
        choices=[
            (Split.NONE.value, "All parcels"),
            (Split.CARRIER.value, "Per carrier"),
            (Split.LANE.value, "Per lane"),
        ],
        required=False,
        label="Rows",
    )
    carrier = forms.CharField(max_length=32, required=False)
    country = forms.CharField(max_length=2, required=False)

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise ValidationError("A two-letter country code, e.g. PL.")
        return country

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        default_start, default_end = default_range(self.today)
        start, end = cleaned.get("start") or default_start, cleaned.get("end") or default_end
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if end < start:
            self.add_error("end", "The range ends before it starts.")
        elif (end - start).days > MAX_RANGE_DAYS:
            self.add_error("end", f"At most {MAX_RANGE_DAYS} days at once.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def query(self) -> DeliveryQuery:
        """The validated question (call after ``is_valid()``)."""
        data = self.cleaned_data
        return DeliveryQuery(
            start=data["start"],
            end=data["end"],
            grouping=Grouping(data.get("grouping") or Grouping.WEEK),
            split=Split(data.get("split") or Split.NONE),
            carrier=(data.get("carrier") or "").strip().lower(),
            country=data.get("country") or "",
        )
