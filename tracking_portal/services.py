"""Writes of the tracking page: view and click counters, delivery feedback, lookup rate limits."""

import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shipments.models import Order
from shipments.services import order_touch
from tracking_portal.models import ActivityKind, DeliveryFeedback, PageActivity
from tracking_portal.selectors import order_accepts_feedback

logger = logging.getLogger(__name__)

# Page views are counted in memory and written in batches (TRACKING_PORTAL_VIEW_FLUSH_SECONDS): a busy
# cached page must cost a cache read, not a database write per view.
_pending_views: Counter[tuple[int, int]] = Counter()
_pending_lock = threading.Lock()
_last_flush = time.monotonic()


def page_activity_add(*, shop_id: int, order_id: int, kind: str, count: int = 1) -> None:
    """Add ``count`` to an order's counter of ``kind`` (view or a page-only link click)."""
    now = timezone.now()
    updated = PageActivity.objects.filter(order_id=order_id, kind=kind).update(count=F("count") + count, last_at=now)
    if updated:
        return
    try:
        with transaction.atomic():
            PageActivity.objects.create(
                shop_id=shop_id, order_id=order_id, kind=kind, count=count, first_at=now, last_at=now
            )
    except IntegrityError:
        # Another process created the row between our update and insert: add to it instead.
        PageActivity.objects.filter(order_id=order_id, kind=kind).update(count=F("count") + count, last_at=now)


def page_view_record(*, shop_id: int, order_id: int) -> None:
    """Count one view of an order's page; written at most every TRACKING_PORTAL_VIEW_FLUSH_SECONDS."""
    with _pending_lock:
        _pending_views[(shop_id, order_id)] += 1
        due = time.monotonic() - _last_flush >= settings.TRACKING_PORTAL_VIEW_FLUSH_SECONDS
    if due:
        try:
            page_views_flush()
        except DatabaseError:
            # Counting views must never fail the customer's page; the counts of this batch are lost.
            logger.exception("could not write tracking page views")


def page_views_flush() -> int:
    """Write the page views counted in this process; returns how many views were written."""
    global _last_flush
    with _pending_lock:
        pending = dict(_pending_views)
        _pending_views.clear()
        _last_flush = time.monotonic()
    if not pending:
        return 0
    # Orders deleted since they were viewed are skipped rather than failing the whole batch.
    existing = set(Order.objects.filter(pk__in={order_id for _, order_id in pending}).values_list("pk", flat=True))
    written = 0
    for (shop_id, order_id), count in pending.items():
        if order_id in existing:
            page_activity_add(shop_id=shop_id, order_id=order_id, kind=ActivityKind.VIEW, count=count)
            written += count
    return written


def page_views_flush_at_exit() -> None:
    """``page_views_flush`` for interpreter exit: never raises, whatever state the database is in."""
    try:
        page_views_flush()
    except Exception:  # at exit there is nobody left to handle it
        logger.warning("page views of this process could not be written at exit", exc_info=True)


class FeedbackClosed(Exception):
    """The order has no delivered parcel yet, so there is no delivery to rate."""


def delivery_feedback_submit(*, order: Order, rating: int, comment: str = "") -> DeliveryFeedback:
    """Store (or replace) the customer's rating of the delivery and refresh the page that asks for it.

    Raises ``FeedbackClosed`` before a parcel of the order is delivered, ``ValidationError`` for a bad rating.
    """
    if not order_accepts_feedback(order=order):
        raise FeedbackClosed
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "Choose a rating from 1 to 5."}, code="invalid_rating")
    comment = " ".join(comment.split())[:1000]
    feedback, _ = DeliveryFeedback.objects.update_or_create(
        order=order, defaults={"shop_id": order.shop_id, "rating": rating, "comment": comment}
    )
    order_touch(order_id=order.pk)
    return feedback
