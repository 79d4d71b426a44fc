"""The watchlist story of the demo: four parcels whose incidents appear and clear as the clock moves.

A parcel stuck before pickup (label only), a locker parcel nearing its pickup deadline, a failed
delivery attempt and a parcel past its ETA are replayed through the real apply service and evaluated
by the watchlist at chosen moments (business days in Poland, with the carrier's Saturday rule), so
``demo_watchlist`` prints the incidents opening and then resolving as each parcel moves on. The late
parcel's "delayed" incident is what asks the delay-apology campaign for its voucher email, and the
shop's support address gets the daily digest of what is open (both through notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carriers.types import PickupPoint, Reason, Status, TrackingEvent, TrackingResult
from shipments.models import Shipment
from shipments.services import order_upsert
from shipments.tracking import shipment_apply_result
from shops.models import Shop
from watchlist.digest import incident_digest_send
from watchlist.services import shipment_watch_evaluate

WARSAW = ZoneInfo("Europe/Warsaw")
LOCKER = PickupPoint(id="KRA01M", name="Paczkomat KRA01M", address="ul. Długa 1", city="Kraków", postcode="31-147")


def _parcel(shop: Shop, *, number: str, carrier: str, tracking_number: str, placed_at: datetime) -> Shipment:
    order, _ = order_upsert(
        shop=shop,
        number=number,
        items=[{"sku": "DEMO", "name": "Kubek", "quantity": 1, "unit_price": 49}],
        shipments=[{"carrier": carrier, "tracking_number": tracking_number}],
        customer_name="Anna Kowalska",
        customer_email="anna.kowalska@example.com",
        shipping_country="PL",
        locale="pl",
        total_amount=49,
        placed_at=placed_at,
    )
    return order.shipments.get()


def _event(shipment: Shipment, status: Status, at: datetime, *, reason: str = "", **result: object) -> None:
    event = TrackingEvent(occurred_at=at, status=status, reason=reason, raw_code=f"demo-{status}", text=str(status))
    outcome = TrackingResult(
        carrier=shipment.carrier, tracking_number=shipment.tracking_number, events=(event,), **result
    )
    shipment_apply_result(shipment_id=shipment.pk, outcome=outcome, source="push", now=at)


def demo_incident_story(*, shop: Shop, monday: datetime, say: Callable[[str], None]) -> None:
    """Replay the three parcels from ``monday`` (a Monday, Warsaw time) and ``say`` what the watchlist does."""

    def look(shipment: Shipment, at: datetime, label: str) -> None:
        outcome = shipment_watch_evaluate(shipment=shipment, now=at)
        for incident in outcome.opened:
            say(f"{at:%a %d %b %H:%M} {label}: OPENED {incident.incident_type} ({incident.threshold_note})")
        for incident in outcome.resolved:
            say(f"{at:%a %d %b %H:%M} {label}: resolved {incident.incident_type}")
        if not outcome.opened and not outcome.resolved:
            say(f"{at:%a %d %b %H:%M} {label}: nothing new")

    day = lambda n, hour: monday + timedelta(days=n, hours=hour)  # noqa: E731
    stuck = _parcel(shop, number="WL-1", carrier="dpd", tracking_number="13000000000001", placed_at=day(0, 8))
    _event(stuck, Status.INFO_RECEIVED, day(0, 10))
    look(stuck, day(3, 16), "label, never picked up")
    look(stuck, day(4, 10), "label, never picked up")
    _event(stuck, Status.IN_TRANSIT, day(4, 14), reason=Reason.PICKED_UP)
    look(stuck, day(4, 14), "picked up at last")

    locker = _parcel(
        shop, number="WL-2", carrier="inpost", tracking_number="620000000000000000009901", placed_at=day(0, 8)
    )
    _event(locker, Status.AVAILABLE_FOR_PICKUP, day(1, 10), pickup_point=LOCKER, service="inpost_locker_standard")
    look(locker, day(1, 11), "waiting in the locker")
    look(locker, day(2, 10), "waiting in the locker")
    _event(locker, Status.DELIVERED, day(2, 18))
    look(locker, day(2, 18), "collected")

    attempt = _parcel(shop, number="WL-3", carrier="dpd", tracking_number="13000000000003", placed_at=day(0, 8))
    _event(attempt, Status.FAILED_ATTEMPT, day(1, 11), reason=Reason.RECIPIENT_ABSENT)
    look(attempt, day(1, 18), "courier found nobody home")
    look(attempt, day(2, 11), "no new attempt")
    digest = incident_digest_send(shop=shop, day=day(2, 11).date())
    if digest is None:
        say(f"{day(2, 11):%a %d %b} daily digest: already sent that day, or no support address")
    else:
        say(f"{day(2, 11):%a %d %b} daily digest to the support address: {digest} open incident(s)")
    _event(attempt, Status.DELIVERED, day(3, 9))
    look(attempt, day(3, 9), "delivered on the second try")

    late = _parcel(shop, number="WL-4", carrier="dpd", tracking_number="13000000000004", placed_at=day(0, 8))
    _event(late, Status.IN_TRANSIT, day(0, 18), reason=Reason.PICKED_UP, eta_from=day(1, 0), eta_to=day(1, 0))
    look(late, day(1, 20), "expected today")
    # Late once the ETA's day has ended: the incident asks the delay-apology campaign for its email.
    look(late, day(2, 0), "past its ETA")
    _event(late, Status.DELIVERED, day(2, 15))
    look(late, day(2, 15), "delivered a day late")
