"""How long carriers usually hold a parcel at a pickup point or locker before sending it back.

Used to tell the customer a collect-by date when the carrier does not send one. Conservative values
(the carriers' standard terms, rounded down), so a customer who trusts the date is never late.
"""

from __future__ import annotations

from datetime import date, timedelta

PICKUP_HOLD_DAYS: dict[str, int] = {
    "inpost": 2,  # Paczkomat: 48 hours (extendable in the app)
    "orlen": 3,
    "packeta": 7,
    "dpd": 7,
    "dhl": 7,
    "gls": 7,
    "poczta_polska": 7,  # first notice; the second notice extends it
}


def pickup_collect_by(*, carrier: str, available_on: date) -> date | None:
    """The last day a parcel available since ``available_on`` is likely held; None for unknown terms."""
    days = PICKUP_HOLD_DAYS.get(carrier)
    if days is None:
        return None
    return available_on + timedelta(days=days)
