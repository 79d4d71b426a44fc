"""Where an email's expected delivery comes from when the carrier gave none: a source registered by an app
above (analytics' learned lane estimates), so notifications never imports it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from shipments.models import Shipment

logger = logging.getLogger(__name__)

# (shipments, now) -> {shipment id: (window start, window end) as date-only moments} for those it can estimate.
EstimateSource = Callable[[list[Shipment], datetime], dict[int, tuple[datetime, datetime]]]
_estimate_sources: list[EstimateSource] = []


def estimate_source_register(*, source: EstimateSource) -> None:
    """Use ``source`` for the expected delivery of parcels the carrier gave no ETA for."""
    _estimate_sources[:] = [source]


def estimated_windows(
    shipments: list[Shipment], *, now: datetime
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Per shipment: its carrier ETA, else the registered source's window, else nothing; never fails an email.

    One call for a sending batch's parcels, so the source reads what it needs once for all of them.
    """
    windows: dict[int, tuple[datetime | None, datetime | None]] = {
        shipment.pk: (shipment.eta_from, shipment.eta_to) for shipment in shipments
    }
    wanting = [shipment for shipment in shipments if not (shipment.eta_from or shipment.eta_to)]
    if not wanting or not _estimate_sources:
        return windows
    try:
        windows.update(_estimate_sources[0](wanting, now))
    except Exception:
        ids = [shipment.pk for shipment in wanting]
        logger.exception("the delivery estimates of shipments %s failed; the emails go without them", ids)
    return windows
