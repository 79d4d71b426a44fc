"""Where an email's expected delivery comes from when the carrier gave none: a source registered by an app
above (analytics' learned lane estimates), so notifications never imports it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from shipments.models import Shipment

logger = logging.getLogger(__name__)

# (shipment, now) -> (window start, window end) as date-only moments, or None.
EstimateSource = Callable[[Shipment, datetime], tuple[datetime, datetime] | None]
_estimate_sources: list[EstimateSource] = []


def estimate_source_register(*, source: EstimateSource) -> None:
    """Use ``source`` for the expected delivery of parcels the carrier gave no ETA for."""
    _estimate_sources[:] = [source]


def estimated_window(shipment: Shipment, *, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The shipment's carrier ETA, else the registered source's window, else nothing; never fails the email."""
    if shipment.eta_from or shipment.eta_to or not _estimate_sources:
        return shipment.eta_from, shipment.eta_to
    try:
        window = _estimate_sources[0](shipment, now)
    except Exception:
        logger.exception("the delivery estimate of shipment %s failed; the email goes without it", shipment.pk)
        return None, None
    return window if window is not None else (None, None)
