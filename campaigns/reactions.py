"""Campaigns that react to what a customer said: a detractor score (e.g. an apology code).

The feedback app sits above campaigns, so it publishes ``campaigns.react_to_feedback_detractor`` by name
with the order's id. A reaction is a due dispatch like a delayed campaign: the release tick checks the
campaign, the audience (marketing consent when the campaign requires it) and the frequency cap once more
and hands it to notifications. One dispatch per (campaign, order), so a repeated publish sends nothing new.
"""

from datetime import datetime

from django.utils import timezone

from campaigns.dispatch import dispatch_claim
from campaigns.models import Campaign, CampaignStatus, TriggerType
from campaigns.selectors import OrderFacts, audience_mismatch, campaign_is_live, variant_for_order
from carriers.types import Status
from shipments.models import Direction, Order, StatusChange


def feedback_detractor_react(*, order_id: int, now: datetime | None = None) -> int:
    """Queue each live detractor-trigger campaign of the order's shop for the order; returns how many."""
    now = now or timezone.now()
    order = Order.objects.select_related("shop").filter(pk=order_id).first()
    if order is None or not order.customer_email:
        return 0
    # notifications keys campaign emails by status change: the delivery the customer scored anchors it.
    anchor = (
        StatusChange.objects.filter(
            shipment__order=order, shipment__direction=Direction.OUTBOUND, to_status=Status.DELIVERED
        )
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if anchor is None:
        return 0
    campaigns = Campaign.objects.filter(
        shop_id=order.shop_id, status=CampaignStatus.ACTIVE, trigger_type=TriggerType.FEEDBACK_DETRACTOR
    ).exclude(dispatches__order=order)
    facts = OrderFacts(order)
    queued = 0
    for campaign in campaigns:
        if not (campaign_is_live(campaign, now=now) and campaign.send_email) or audience_mismatch(campaign, facts):
            continue
        _, created = dispatch_claim(
            campaign=campaign,
            order=order,
            status_change_id=anchor.pk,
            variant=variant_for_order(campaign=campaign, order_id=order.pk),
            due_at=now,
            immediate=False,
        )
        queued += int(created)
    return queued
