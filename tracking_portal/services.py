"""Writes of the tracking page: view and click counters, delivery feedback, lookup rate limits."""

import hashlib
import hmac
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
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


@dataclass(frozen=True)
class LookupQuota:
    """Whether one more lookup is allowed, and if not, how long to wait."""

    allowed: bool
    retry_after: int = 0


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt under ``key`` in the shared cache; True while within ``limit`` per ``window`` seconds."""
    cache.add(key, 0, timeout=window)
    try:
        attempts = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this attempt opens a new window.
        cache.set(key, 1, timeout=window)
        attempts = 1
    return attempts <= limit


def lookup_quota_take(*, client_ip: str, shop_id: int, reference: str) -> LookupQuota:
    """Count a lookup attempt per client and per (shop, order or tracking number); refuse over the limits.

    Counted whether or not the order exists, so the limit itself reveals nothing.
    """
    reference_digest = hashlib.sha256(f"{shop_id}:{reference.strip().upper()}".encode()).hexdigest()[:32]
    window = settings.TRACKING_PORTAL_LOOKUP_WINDOW_SECONDS
    client_ok = _hit(f"tp:lookup:ip:{client_ip}", settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT, window)
    reference_ok = _hit(f"tp:lookup:ref:{reference_digest}", settings.TRACKING_PORTAL_LOOKUPS_PER_ORDER, window)
    if client_ok and reference_ok:
        return LookupQuota(allowed=True)
    return LookupQuota(allowed=False, retry_after=window)


def _normalize_email(value: str) -> str:
    return value.strip().lower()


def _normalize_postcode(value: str) -> str:
    return "".join(character for character in value.upper() if character.isalnum())


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


# Compared against when the order does not exist, so both branches do the same work.
_ABSENT = _digest("\x00absent")


def lookup_secret_matches(*, order: Order | None, secret: str) -> bool:
    """True when ``secret`` is the order's email or postcode; constant-time, same work for a missing order."""
    email = _digest(_normalize_email(order.customer_email)) if order and order.customer_email else _ABSENT
    postcode_value = _normalize_postcode(order.shipping_postcode) if order else ""
    postcode = _digest(postcode_value) if postcode_value else _ABSENT
    email_ok = hmac.compare_digest(_digest(_normalize_email(secret)), email)
    postcode_ok = hmac.compare_digest(_digest(_normalize_postcode(secret)), postcode)
    return order is not None and (email_ok or postcode_ok)
