"""When a parcel is late: the one definition the tracking page, the emails and the campaigns use.

A parcel is late at ``now`` when it is still open (not final) and ``now`` has reached the deadline
of the reference it is measured ``against``:

* ``Against.CURRENT_ETA`` — the end of the carrier's current delivery window (its start when the
  carrier gave no end); the window moves whenever the carrier re-estimates.
* ``Against.FIRST_ESTIMATE`` — the end of the first window the carrier ever gave (``first_eta_*``),
  which never moves: "later than first announced".
* ``Against.PROMISED`` — the end of the day the shop promised (``Order.promised_delivery_date``);
  only parcels on their way to the customer were promised anything.

Day boundaries are the shop's (``zone``). A window end at exactly midnight local time is a
date-only estimate ("on the 5th"), so its deadline is the end of that day, not its first second.
:func:`shipment_is_late` and :func:`late_shipments_q` answer the same question, one for a loaded
row and one inside a query, and agree on every row.
"""

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import Coalesce, TruncDate, TruncTime
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual

from carriers.types import FINAL_STATUSES
from shipments.models import Direction, Shipment
from shops.models import Shop

_FINAL = sorted(status.value for status in FINAL_STATUSES)


class Against(StrEnum):
    """The reference a parcel's lateness is measured against."""

    CURRENT_ETA = "current_eta"
    FIRST_ESTIMATE = "first_estimate"
    PROMISED = "promised"


_WINDOW_FIELDS = {
    Against.CURRENT_ETA: ("eta_from", "eta_to"),
    Against.FIRST_ESTIMATE: ("first_eta_from", "first_eta_to"),
}


def shop_zone(shop: Shop) -> ZoneInfo:
    """The shop's time zone (its days decide lateness and dates on its pages), Warsaw if the name is unusable."""
    try:
        return ZoneInfo(shop.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("Europe/Warsaw")


def window_deadline(start: datetime | None, end: datetime | None, *, zone: ZoneInfo) -> datetime | None:
    """The moment a delivery window has passed: its end (or start), a date-only end meaning end of day."""
    edge = end or start
    if edge is None:
        return None
    local = edge.astimezone(zone)
    if local.time() == time(0):
        return local + timedelta(days=1)
    return local


def promised_deadline(promised: date | None, *, zone: ZoneInfo) -> datetime | None:
    """The moment a promised delivery day has passed: the next midnight in the shop's zone."""
    if promised is None:
        return None
    return datetime.combine(promised + timedelta(days=1), time(0), tzinfo=zone)


def shipment_late_deadline(
    shipment: Shipment, *, against: Against, zone: ZoneInfo, promised: date | None = None
) -> datetime | None:
    """When ``shipment`` becomes late against ``against`` (None: that reference is unknown).

    ``promised`` is the order's promised delivery date, passed in because pages and previews hold
    shipments without their order; only ``Against.PROMISED`` reads it.
    """
    if against == Against.PROMISED:
        return promised_deadline(promised, zone=zone) if shipment.direction == Direction.OUTBOUND else None
    start, end = _WINDOW_FIELDS[against]
    return window_deadline(getattr(shipment, start), getattr(shipment, end), zone=zone)


def shipment_is_late(
    shipment: Shipment, *, now: datetime, against: Against, zone: ZoneInfo, promised: date | None = None
) -> bool:
    """Whether ``shipment`` is still open at ``now`` and past its deadline against ``against``."""
    if shipment.status in _FINAL:
        return False
    deadline = shipment_late_deadline(shipment, against=against, zone=zone, promised=promised)
    return deadline is not None and now >= deadline


def late_shipments_q(*, now: datetime, against: Against, zone: ZoneInfo) -> Q:
    """A filter on Shipment matching exactly the rows :func:`shipment_is_late` calls late at ``now``."""
    today = now.astimezone(zone).date()
    if against == Against.PROMISED:
        reached = Q(direction=Direction.OUTBOUND, order__promised_delivery_date__lt=today)
    else:
        start, end = _WINDOW_FIELDS[against]
        edge = Coalesce(end, start)
        date_only = Exact(TruncTime(edge, tzinfo=zone), time(0))
        # The explicit "has a window" keeps every branch true or false, never NULL, so the filter
        # can be negated (``~``) and combined without losing rows that have no window at all.
        has_window = Q(**{f"{end}__isnull": False}) | Q(**{f"{start}__isnull": False})
        reached = has_window & (
            (~Q(date_only) & Q(LessThanOrEqual(edge, now)))
            | (Q(date_only) & Q(LessThan(TruncDate(edge, tzinfo=zone), today)))
        )
    return ~Q(status__in=_FINAL) & reached
