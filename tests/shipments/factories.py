"""Factories and carrier-result builders for the polling engine's tests."""

from datetime import UTC, datetime

import factory

from carriers.types import Status, TrackingEvent, TrackingResult
from shipments.models import CarrierAccount
from tests.factories import ShopFactory


class CarrierAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarrierAccount

    shop = factory.SubFactory(ShopFactory)
    carrier = "inpost"
    webhook_secret = "push-secret-0123456789"


def event(
    hour: int, code: str, status: Status | None, *, reason: str = "", text: str = "", day: int = 3, mapped: bool = True
) -> TrackingEvent:
    """A carrier event on 2026-11-<day> at <hour>:00 UTC."""
    return TrackingEvent(
        occurred_at=datetime(2026, 11, day, hour, 0, tzinfo=UTC),
        status=status,
        reason=reason,
        raw_code=code,
        text=text or f"text of {code}",
        location="Warszawa",
        mapped=mapped,
    )


def result(number: str, *events: TrackingEvent, **fields: object) -> TrackingResult:
    """A TrackingResult like an adapter builds: events sorted, status from the newest mapped one."""
    ordered = tuple(sorted(events, key=lambda item: item.occurred_at))
    latest = next((item for item in reversed(ordered) if item.status is not None), None)
    return TrackingResult(
        carrier="inpost",
        tracking_number=number,
        events=ordered,
        status=latest.status if latest else None,
        reason=latest.reason if latest else "",
        unmapped_codes=tuple(item.raw_code for item in ordered if not item.mapped),
        **fields,  # type: ignore[arg-type]
    )
