"""The status a shipment's stored events add up to.

Status rules, recomputed from ALL stored events of the shipment each time (so repeats and
out-of-order arrivals give the same answer as an in-order stream):

1. Only events with a normalized status count; unmapped or informational events never move the
   status (they are stored, shown verbatim, and unmapped codes are counted in ``UnmappedCode``).
2. Events are read oldest first by ``(occurred_at, arrival)``; the newest one wins, except:
3. ``delivered`` is sticky: once any event says delivered, later forward-leg events (in transit,
   out for delivery, exceptions...) do not bring the parcel back; only a return-leg event may
   follow it.
4. The return leg is its own status: after the first ``returning_to_sender`` event, forward-leg
   events are part of the trip back and keep ``returning_to_sender``; a later ``delivered`` (the
   parcel handed back to the sender) or ``returned_to_sender`` makes it ``returned_to_sender``,
   which is final and sticky.
5. No counting event at all keeps the current status (``pending`` for a new shipment).
6. An ``expired`` shipment stays expired unless new events with a status arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from carriers.types import Status

RETURN_LEG = frozenset({Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER})


@dataclass(frozen=True)
class DerivedStatus:
    """The status the stored events add up to, and the event that decided it."""

    status: str
    reason: str
    occurred_at: datetime | None


def status_from_events(events: Sequence[tuple[str, str, datetime]], *, current: str) -> DerivedStatus:
    """Apply the module's rules to ``(status, reason, occurred_at)`` tuples in arrival order."""
    ordered = sorted(
        ((status, reason, at, index) for index, (status, reason, at) in enumerate(events) if status),
        key=lambda item: (item[2], item[3]),
    )
    decided: DerivedStatus | None = None
    for status, reason, at, _ in ordered:
        previous = decided.status if decided is not None else ""
        if previous == Status.RETURNED_TO_SENDER:
            continue
        if previous == Status.RETURNING_TO_SENDER and status not in RETURN_LEG:
            if status == Status.DELIVERED:
                decided = DerivedStatus(Status.RETURNED_TO_SENDER, reason, at)
            continue
        if previous == Status.DELIVERED and status not in RETURN_LEG:
            continue
        decided = DerivedStatus(status, reason, at)
    if decided is None:
        return DerivedStatus(current, "", None)
    return decided
