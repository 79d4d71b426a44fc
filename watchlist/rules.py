"""The incident rules: for one parcel, each incident type it may have, counted from when, and when it is due.

Every rule counts business days from an anchor (the last scan, the label, the order, the collect-by
moment ...) with ``shops.calendar``: the destination country's holidays and the carrier's Saturday
rule; the shop's closures too for what the shop itself must do (dispatch, hand the parcel over).
A finding becomes due at the same local time ``threshold`` business days after its anchor, and
never on a day that is not a business day (it moves to the start of the next one), so no incident
opens on a Sunday or a public holiday for lack of scans.

* invalid tracking number: nothing at all from the carrier N bd after the parcel was registered;
* late dispatch: no carrier scan N bd after the order was placed (the shop's dispatch promise);
* forgotten: a label (info received) and no pickup N bd after it;
* stalled: in transit with no scan for longer than the lane's normal gap;
* delayed: the carrier says delayed, or it is late by the one lateness rule (current ETA, else the
  promised day), or with neither, longer in transit than the lane's learned p95;
* failed attempt: no new attempt or pickup N bd after the last attempt;
* pickup deadline: N bd before the collect-by moment of a parcel waiting at a locker or point;
* exception: an exception status (or a parcel in transit held in customs, with an address problem ...)
  unresolved N bd after it began;
* lost: no scan at all for N bd.

Late dispatch, forgotten, delayed and the pickup deadline are outbound rules (the shop's dispatch, the
delivery promise, the customer's collection): a return parcel (direction return) waits for the customer
to drop it off and has no promise, so only the parcel-health rules apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from carriers.types import FINAL_STATUSES, Reason, Status
from shipments.lanes import SCAN_STATUSES, lane_for
from shipments.lateness import Against, shipment_late_deadline, shop_zone
from shipments.models import Direction, Shipment, TrackingEvent
from shops.calendar import add_business_days, add_business_days_to_moment, is_business_day
from watchlist.models import IncidentType
from watchlist.thresholds import ShopThresholds, Threshold

# Calendar days a parcel waits at a point before it goes back (carriers' usual storage periods),
# used when the carrier did not tell the collect-by moment itself.
PICKUP_STORAGE_DAYS = {"inpost": 2, "orlen": 3, "packeta": 7, "poczta_polska": 14}
DEFAULT_PICKUP_STORAGE_DAYS = 7

_FINAL = frozenset(status.value for status in FINAL_STATUSES)
_MOVING = (Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY)
_SHOP_SIDE = frozenset({IncidentType.LATE_DISPATCH, IncidentType.FORGOTTEN})
# Reasons that make a parcel in transit an exception (customs hold, address problem ...).
EXCEPTION_REASONS = frozenset({Reason.CUSTOMS, Reason.ADDRESS_PROBLEM, Reason.LOST, Reason.DAMAGED, Reason.REFUSED})


@dataclass(frozen=True)
class Finding:
    """An incident type this parcel may have: counted from ``anchor_at``, open once ``due_at`` has come."""

    incident_type: str
    anchor_at: datetime
    due_at: datetime
    threshold: Threshold
    deadline_at: datetime | None = None


class _Counter:
    """Business-day arithmetic on one parcel's calendar (destination, carrier, service, shop's zone)."""

    def __init__(self, shipment: Shipment, country: str) -> None:
        self.shipment = shipment
        self.country = country
        self.zone: ZoneInfo = shop_zone(shipment.shop)

    def due(self, anchor: datetime, days: int, *, incident_type: str) -> datetime:
        shop = self.shipment.shop if incident_type in _SHOP_SIDE else None
        calendar = {
            "country": self.country,
            "carrier": self.shipment.carrier,
            "service": self.shipment.service,
            "shop": shop,
        }
        moment = add_business_days_to_moment(anchor, days, time_zone=str(self.zone), **calendar)
        day = moment.astimezone(self.zone).date()
        if is_business_day(day, **calendar):
            return moment
        return datetime.combine(add_business_days(day, 1, **calendar), time(0), tzinfo=self.zone)


def shipment_findings(*, shipment: Shipment, now: datetime) -> tuple[list[Finding], ShopThresholds | None]:
    """Every incident type ``shipment`` may have now or later, with the thresholds used (None when final)."""
    if shipment.status in _FINAL:
        return [], None
    lane = lane_for(shipment)
    thresholds = ShopThresholds(lane=lane)
    counter = _Counter(shipment, lane.destination_country)
    found: list[Finding] = []

    def add(incident_type: str, anchor: datetime | None, threshold: Threshold | None = None, **extra) -> None:
        if anchor is None or not thresholds.enabled(incident_type):
            return
        threshold = threshold or thresholds.threshold(incident_type)
        due = counter.due(anchor, threshold.days, incident_type=incident_type)
        found.append(Finding(incident_type, anchor, due, threshold, **extra))

    status = shipment.status
    last_news = shipment.last_event_at or shipment.status_changed_at
    outbound = shipment.direction == Direction.OUTBOUND
    if status == Status.PENDING and shipment.last_event_at is None:
        add(IncidentType.INVALID_TRACKING, shipment.created_at)
    if status in (Status.PENDING, Status.INFO_RECEIVED) and outbound:
        add(IncidentType.LATE_DISPATCH, shipment.order.placed_at)
    if status == Status.INFO_RECEIVED and outbound:
        add(IncidentType.FORGOTTEN, shipment.status_changed_at or last_news)
    if status in _MOVING:
        add(IncidentType.STALLED, last_news)
        if outbound:
            _delayed(shipment, thresholds, counter, found, last_news)
    if status == Status.FAILED_ATTEMPT:
        add(IncidentType.FAILED_ATTEMPT, last_news)
    if status == Status.EXCEPTION:
        add(IncidentType.EXCEPTION, shipment.status_changed_at or last_news)
    elif status in _MOVING and shipment.reason in EXCEPTION_REASONS:
        # A parcel held in customs or with an address problem still "moves"; it is an exception all the same.
        add(IncidentType.EXCEPTION, _reason_since(shipment) or last_news)
    if status == Status.AVAILABLE_FOR_PICKUP and outbound:
        _pickup_deadline(shipment, thresholds, counter, found)
    if status in (*_MOVING, Status.FAILED_ATTEMPT, Status.EXCEPTION, Status.RETURNING_TO_SENDER):
        add(IncidentType.LOST, last_news)
    return found, thresholds


def _delayed(
    shipment: Shipment, thresholds: ShopThresholds, counter: _Counter, found: list[Finding], last_news: datetime | None
) -> None:
    if not thresholds.enabled(IncidentType.DELAYED):
        return
    kind = IncidentType.DELAYED
    if shipment.reason == Reason.DELAYED and last_news is not None:
        threshold = thresholds.threshold(kind)
        found.append(Finding(kind, last_news, counter.due(last_news, threshold.days, incident_type=kind), threshold))
        return
    deadline = shipment_late_deadline(shipment, against=Against.CURRENT_ETA, zone=counter.zone) or (
        shipment_late_deadline(
            shipment, against=Against.PROMISED, zone=counter.zone, promised=shipment.order.promised_delivery_date
        )
    )
    if deadline is not None:
        threshold = thresholds.threshold(kind)
        found.append(Finding(kind, deadline, counter.due(deadline, threshold.days, incident_type=kind), threshold))
        return
    learned = thresholds.transit_threshold()
    first_scan = _first_scan_at(shipment) if learned is not None else None
    if learned is not None and first_scan is not None:
        found.append(Finding(kind, first_scan, counter.due(first_scan, learned.days, incident_type=kind), learned))


def _pickup_deadline(shipment: Shipment, thresholds: ShopThresholds, counter: _Counter, found: list[Finding]) -> None:
    kind = IncidentType.PICKUP_DEADLINE
    arrived = shipment.status_changed_at or shipment.last_event_at
    if arrived is None or not thresholds.enabled(kind):
        return
    collect_by = pickup_collect_by(shipment, arrived=arrived)
    threshold = thresholds.threshold(kind)
    reminder = counter.due(collect_by, -threshold.days, incident_type=kind)
    found.append(Finding(kind, collect_by, max(reminder, arrived), threshold, deadline_at=collect_by))


def pickup_collect_by(shipment: Shipment, *, arrived: datetime) -> datetime:
    """The moment the parcel must be collected by: the carrier's word, else its usual storage period."""
    point = shipment.pickup_point or {}
    given = point.get("collect_by") if isinstance(point, dict) else None
    if given:
        try:
            parsed = datetime.fromisoformat(given)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    days = PICKUP_STORAGE_DAYS.get(shipment.carrier, DEFAULT_PICKUP_STORAGE_DAYS)
    return arrived + timedelta(days=days)


def _first_scan_at(shipment: Shipment) -> datetime | None:
    return (
        TrackingEvent.objects.filter(shipment=shipment, status__in=[status.value for status in SCAN_STATUSES])
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def _reason_since(shipment: Shipment) -> datetime | None:
    """When the current run of events with the shipment's reason began (repeated customs scans do not restart it)."""
    began = None
    recent = TrackingEvent.objects.filter(shipment=shipment).exclude(status="").order_by("-occurred_at", "-pk")
    for reason, occurred_at in recent.values_list("reason", "occurred_at")[:50]:
        if reason != shipment.reason:
            break
        began = occurred_at
    return began
