"""Telling the shop which return requests wait for its approval: one digest email through notifications.

Each request is named in one digest only (``merchant_alerted_at``); a beat task sends each shop with new
waiting requests its digest, to the support address (else an owner's). The ``return.requested`` webhook
goes out per request from the lifecycle. The digest belongs to the shop, not to one order (``order=None``),
like the watchlist's.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.formats import moment
from notifications.models import MessageChannel
from notifications.outbox import message_request
from returns.models import ReturnDigest, ReturnRequest, ReturnState
from shops.models import Membership, Role, Shop

DIGEST_TRIGGER = "returns_digest"
DIGEST_TEMPLATE = "returns_digest"
# A digest lists at most this many requests; the rest come in the next one (the count says how many wait).
DIGEST_MAX_REQUESTS = 50


def merchant_address(*, shop: Shop) -> str:
    """Where the shop's alerts go: its support address, else its first owner's email ('' when none)."""
    if shop.support_email:
        return shop.support_email
    owner = (
        Membership.objects.filter(shop=shop, role=Role.OWNER)
        .exclude(user__email="")
        .order_by("created_at", "pk")
        .values_list("user__email", flat=True)
        .first()
    )
    return owner or ""


def return_digest_send(*, shop: Shop, now: datetime | None = None) -> ReturnDigest | None:
    """Email ``shop`` the requests awaiting approval that no digest named yet; None when there are none."""
    now = now or timezone.now()
    recipient = merchant_address(shop=shop)
    if not recipient:
        return None
    with transaction.atomic():
        # Two overlapping beats take different rows (or none), so no request is announced twice.
        fresh = list(
            ReturnRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(shop=shop, state=ReturnState.REQUESTED, merchant_alerted_at__isnull=True)
            .select_related("order")
            .order_by("created_at", "pk")[:DIGEST_MAX_REQUESTS]
        )
        if not fresh:
            return None
        waiting = ReturnRequest.objects.filter(shop=shop, state=ReturnState.REQUESTED).count()
        digest = ReturnDigest.objects.create(shop=shop, request_count=len(fresh), waiting_count=waiting, sent_at=now)
        ReturnRequest.objects.filter(pk__in=[request.pk for request in fresh]).update(merchant_alerted_at=now)
        message_request(
            shop=shop,
            trigger_kind=DIGEST_TRIGGER,
            trigger_id=digest.pk,
            channel=MessageChannel.EMAIL,
            recipient=recipient,
            template=DIGEST_TEMPLATE,
            language=shop.locale,
            context=_digest_context(shop=shop, fresh=fresh, waiting=waiting),
            order=None,
            now=now,
        )
    return digest


def _digest_context(*, shop: Shop, fresh: list[ReturnRequest], waiting: int) -> dict:
    zone = ZoneInfo(shop.timezone)
    queue = reverse("admin:returns_returnrequest_changelist")
    return {
        "new_count": len(fresh),
        "waiting_count": waiting,
        "requests": [
            {
                "order_number": request.order.number,
                "asked_at": moment(request.created_at, language=shop.locale, zone=zone),
                "lines": [
                    [item.name, item.quantity, item.reason.label] for item in request.items.select_related("reason")
                ],
                "resolution": request.resolution,
                "url": f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('admin:returns_returnrequest_change', args=[request.pk])}",
            }
            for request in fresh
        ],
        "queue_url": f"{settings.PUBLIC_BASE_URL.rstrip('/')}{queue}?state__exact={ReturnState.REQUESTED}",
    }


def return_digests_send(*, now: datetime | None = None) -> int:
    """Send every shop with new requests awaiting approval its digest; how many digests went."""
    now = now or timezone.now()
    shop_ids = (
        ReturnRequest.objects.filter(state=ReturnState.REQUESTED, merchant_alerted_at__isnull=True)
        .values_list("shop_id", flat=True)
        .distinct()
    )
    sent = 0
    for shop in Shop.objects.filter(pk__in=list(shop_ids), is_active=True).order_by("pk"):
        if return_digest_send(shop=shop, now=now) is not None:
            sent += 1
    return sent
