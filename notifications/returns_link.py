"""The "return an item" link of the delivered email, from the returns app (which sits above notifications).

returns registers its source here at start-up (its app config), the way notifications registers its
message counts with campaigns; without a source, or when it fails, the email simply goes without the link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from shipments.models import Order

logger = logging.getLogger(__name__)

ReturnLinkSource = Callable[..., str]
# The one source returns registered; a list so registering needs no global statement.
_return_link_sources: list[ReturnLinkSource] = []
LINKED_STATUSES = frozenset({"delivered"})


def return_link_source_register(*, source: ReturnLinkSource) -> None:
    """Use ``source(order=..., now=...)`` for an order's signed returns-portal link ('' when it offers none)."""
    _return_link_sources[:] = [source]


def return_link_for(*, order: Order, status: str, now: datetime | None = None) -> str:
    """The returns-portal link the email about ``status`` carries: only a delivered email, only when offered."""
    if status not in LINKED_STATUSES or not _return_link_sources:
        return ""
    try:
        # A savepoint: a failing query must not poison the sending transaction.
        with transaction.atomic():
            return _return_link_sources[0](order=order, now=now or timezone.now())
    except DatabaseError:
        logger.exception("returns link of order %s unavailable; the email goes without it", order.pk)
        return ""
