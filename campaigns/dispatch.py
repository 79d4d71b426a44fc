"""Campaign sends: immediate and delayed ones per status change, their release, and apologies for late parcels.

Contract with notifications (campaigns never imports notifications): notifications calls
:func:`campaign_dispatches_claim` for each status change and creates a message for every send it
returns; delayed and late-parcel emails are published later, by name, as
``notifications.send_campaign_message`` with ``status_change_id``, ``campaign_id`` and ``variant``.
The consumer is idempotent per (status change, campaign), so a repeated publish sends one email.
"""

from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignDispatch,
    CampaignKind,
    CampaignStatus,
    TriggerType,
)
from campaigns.placements import CampaignSend
from campaigns.selectors import (
    OrderFacts,
    audience_mismatch,
    campaign_is_live,
    campaigns_live,
    variant_for_order,
)
from carriers.types import Reason, Status
from config.celery import publish_now
from shipments.models import Direction, Order, Shipment, StatusChange

SEND_CAMPAIGN_TASK = "notifications.send_campaign_message"
# A trigger whose moment passed longer ago than this (history imported late, a backlog) sends nothing:
# a "thanks for your delivery" weeks after the fact does more harm than good.
MAX_TRIGGER_LATENESS = timedelta(days=2)


def trigger_delay(campaign: Campaign, status_change: StatusChange) -> timedelta | None:
    """How long after ``status_change`` the campaign sends (zero = now), or None if it does not fire."""
    if campaign.trigger_type == TriggerType.LATE_OR_EXCEPTION:
        late = status_change.to_status == Status.EXCEPTION or status_change.reason == Reason.DELAYED
        return timedelta(0) if late else None
    if campaign.trigger_type == TriggerType.FEEDBACK_DETRACTOR:
        return None  # fired by the customer's score (campaigns.reactions), never by a status change
    if status_change.reason_only or status_change.to_status != campaign.trigger_status:
        # A new reason within the same status is no arrival in it: status campaigns fire on the status once.
        return None
    if campaign.trigger_type == TriggerType.DELAY_AFTER_STATUS:
        return timedelta(hours=campaign.delay_hours)
    return timedelta(0)


def frequency_capped(*, campaign: Campaign, order: Order, now: datetime) -> bool:
    """Whether the customer already got the campaign's cap of campaign emails from this shop recently."""
    if campaign.frequency_cap_count == 0 or not order.customer_email:
        return False
    since = now - timedelta(days=campaign.frequency_cap_days)
    sent = (
        CampaignDispatch.objects.filter(
            shop_id=order.shop_id, customer_email=order.customer_email.lower(), dispatched_at__gte=since
        )
        .exclude(campaign=campaign, order=order)
        # Apologies are service messages: they neither use up nor obey the marketing cap.
        .exclude(campaign__kind=CampaignKind.DELAY_APOLOGY)
        .count()
    )
    return sent >= campaign.frequency_cap_count


def dispatch_claim(
    *,
    campaign: Campaign,
    order: Order,
    status_change_id: int,
    variant: str,
    due_at: datetime,
    immediate: bool,
) -> tuple[CampaignDispatch, bool]:
    try:
        with transaction.atomic():
            dispatch = CampaignDispatch.objects.create(
                shop_id=order.shop_id,
                campaign=campaign,
                order=order,
                status_change_id=status_change_id,
                variant=variant,
                customer_email=order.customer_email.lower(),
                due_at=due_at,
                immediate=immediate,
                dispatched_at=due_at if immediate else None,
            )
    except IntegrityError:
        return CampaignDispatch.objects.get(campaign=campaign, order=order), False
    return dispatch, True


def campaign_dispatches_claim(*, status_change: StatusChange, now: datetime | None = None) -> list[CampaignSend]:
    """Store the campaign dispatches ``status_change`` triggers; return the emails to send now.

    Delayed campaigns become due rows that :func:`campaign_dispatches_release` publishes later;
    notifications creates a message for each returned send, besides the shop's transactional email.

    Rules: outbound parcels of orders with an email only; each campaign at most once per order; no
    trigger whose moment is more than two days past (imported history);
    among campaigns that would send now, only the highest priority one that passes its audience and
    the customer's frequency cap (one marketing email per status change, never a burst). Calling it
    again for the same status change returns the same answer (retries are safe).
    """
    now = now or timezone.now()
    change = StatusChange.objects.select_related("shipment__order__shop").get(pk=status_change.pk)
    shipment, order = change.shipment, change.shipment.order
    if shipment.direction != Direction.OUTBOUND or not order.customer_email:
        return []
    prior = {dispatch.campaign_id: dispatch for dispatch in CampaignDispatch.objects.filter(order=order)}
    again = [d for d in prior.values() if d.status_change_id == change.pk and d.immediate]
    if again:
        return [_send_of(dispatch) for dispatch in again]
    facts = OrderFacts(order, shipment=shipment)
    chosen: list[CampaignDispatch] = []
    for campaign in campaigns_live(shop_id=order.shop_id, now=now).filter(send_email=True):
        delay = trigger_delay(campaign, change)
        if delay is None or campaign.pk in prior or change.occurred_at + delay < now - MAX_TRIGGER_LATENESS:
            continue
        if (delay == timedelta(0) and chosen) or audience_mismatch(campaign, facts) is not None:
            continue
        variant = variant_for_order(campaign=campaign, order_id=order.pk)
        if delay == timedelta(0):
            if frequency_capped(campaign=campaign, order=order, now=now):
                continue
            dispatch, created = dispatch_claim(
                campaign=campaign, order=order, status_change_id=change.pk, variant=variant, due_at=now, immediate=True
            )
            if created:
                chosen.append(dispatch)
        else:
            dispatch_claim(
                campaign=campaign,
                order=order,
                status_change_id=change.pk,
                variant=variant,
                due_at=max(change.occurred_at + delay, now),
                immediate=False,
            )
    return [_send_of(dispatch) for dispatch in chosen]


def _send_of(dispatch: CampaignDispatch) -> CampaignSend:
    return CampaignSend(campaign_id=dispatch.campaign_id, variant=dispatch.variant, send_after=None)


def campaign_dispatches_release(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Hand due campaign emails to notifications; returns how many were published.

    Claims due rows with ``FOR UPDATE SKIP LOCKED`` (overlapping ticks take different rows), checks
    once more that the campaign is live and the customer still in its audience and under the cap,
    and publishes ``notifications.send_campaign_message`` by name after commit. A row whose publish
    fails goes back to pending for the next tick; notifications is idempotent per (status change,
    campaign), so a row published twice still sends one email.
    """
    now = now or timezone.now()
    published: list[CampaignDispatch] = []
    with transaction.atomic():
        due = list(
            CampaignDispatch.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(dispatched_at__isnull=True, skipped_reason="", due_at__lte=now)
            .select_related("campaign", "order")
            .order_by("due_at", "pk")[:batch_size]
        )
        for dispatch in due:
            reason = _release_blocker(dispatch=dispatch, now=now)
            if reason:
                dispatch.skipped_reason = reason[:200]
                dispatch.save(update_fields=["skipped_reason"])
                continue
            dispatch.dispatched_at = now
            dispatch.save(update_fields=["dispatched_at"])
            published.append(dispatch)
        transaction.on_commit(partial(_publish, published))
    return len(published)


def _publish(dispatches: list[CampaignDispatch]) -> None:
    # publish_now, not publish_on_commit: a refused publish must put its row back to pending, so the
    # next tick retries it (the due row is the stored state, the beat tick the sweeper).
    for dispatch in dispatches:
        sent = publish_now(
            SEND_CAMPAIGN_TASK,
            status_change_id=dispatch.status_change_id,
            campaign_id=dispatch.campaign_id,
            variant=dispatch.variant,
        )
        if not sent:
            CampaignDispatch.objects.filter(pk=dispatch.pk).update(dispatched_at=None)


def _release_blocker(*, dispatch: CampaignDispatch, now: datetime) -> str:
    campaign, order = dispatch.campaign, dispatch.order
    if not campaign_is_live(campaign, now=now):
        return "campaign no longer active"
    if not campaign.send_email:
        return "campaign no longer sends emails"
    mismatch = audience_mismatch(campaign, OrderFacts(order))
    if mismatch:
        return f"outside the audience: {mismatch}"
    if frequency_capped(campaign=campaign, order=order, now=now):
        return "frequency cap reached"
    return ""


def late_parcel_apologize(*, shipment_id: int, now: datetime | None = None) -> int:
    """Queue the delay apology of each live late-trigger campaign for one parcel the watchlist found delayed.

    Published by name (``campaigns.apologize_for_delay``) when a "delayed" incident opens: the watchlist
    owns lateness (the carrier's word, the ETA or the promised day, in business days), campaigns has no
    scan of its own. One dispatch per campaign and order (a unique key), so repeats queue nothing.
    """
    now = now or timezone.now()
    shipment = (
        Shipment.objects.filter(pk=shipment_id, direction=Direction.OUTBOUND).select_related("order", "shop").first()
    )
    if shipment is None:
        return 0
    campaigns = Campaign.objects.filter(
        shop_id=shipment.shop_id, status=CampaignStatus.ACTIVE, trigger_type=TriggerType.LATE_OR_EXCEPTION
    ).exclude(dispatches__order_id=shipment.order_id)
    return sum(
        _late_dispatch(campaign=campaign, shipment=shipment, now=now)
        for campaign in campaigns
        if campaign_is_live(campaign, now=now) and campaign.send_email
    )


def _late_dispatch(*, campaign: Campaign, shipment: Shipment, now: datetime) -> int:
    order = shipment.order
    if not order.customer_email or audience_mismatch(campaign, OrderFacts(order, shipment=shipment)):
        return 0
    # notifications keys campaign emails by status change: the change that put the parcel in its
    # current status anchors the apology (one per order anyway).
    anchor = StatusChange.objects.filter(shipment=shipment).order_by("-created_at", "-pk").first()
    if anchor is None:
        return 0
    _, created = dispatch_claim(
        campaign=campaign,
        order=order,
        status_change_id=anchor.pk,
        variant=variant_for_order(campaign=campaign, order_id=order.pk),
        due_at=now,
        immediate=False,
    )
    return int(created)
