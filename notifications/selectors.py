"""Reads of the notifications app: settings with defaults, overrides, unprocessed and stuck rows."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from notifications.models import (
    Message,
    MessageChannel,
    MessageStatus,
    NotificationSettings,
    Reconciliation,
    StatusTemplate,
)
from shipments.models import StatusChange
from shops.models import Shop


def notification_settings_for(*, shop: Shop) -> NotificationSettings:
    """The shop's email settings, or the defaults (unsaved) when the shop never changed them."""
    try:
        return shop.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(shop=shop)


def status_overrides_for(*, shop: Shop, status: str, language: str) -> dict[str, str]:
    """The shop's subject/heading/body for ``status`` in ``language`` as the renderer takes them; {} when none."""
    return status_overrides_among(keys=[(shop.pk, status, language)]).get((shop.pk, status, language), {})


def status_overrides_among(*, keys: Iterable[tuple[int, str, str]]) -> dict[tuple[int, str, str], dict[str, str]]:
    """The overrides of several (shop id, status, language) at once (one query); keys without one are absent."""
    wanted = set(keys)
    if not wanted:
        return {}
    templates = StatusTemplate.objects.filter(
        shop_id__in={key[0] for key in wanted},
        status__in={key[1] for key in wanted},
        language__in={key[2] for key in wanted},
    )
    return {
        key: {"subject": template.subject, "heading": template.heading, "body": template.body}
        for template in templates
        if (key := (template.shop_id, template.status, template.language)) in wanted
    }


def status_changes_unprocessed(*, created_before: datetime, limit: int = 500) -> list[int]:
    """Outbox rows nobody processed (broker down at commit time, worker lost), oldest first."""
    return list(
        StatusChange.objects.filter(processed_at__isnull=True, created_at__lt=created_before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def message_channel(*, message_id: int) -> str:
    """The channel of one message (which sender takes it); email when the message is gone (that sender says so)."""
    return Message.objects.filter(pk=message_id).values_list("channel", flat=True).first() or MessageChannel.EMAIL


def messages_stuck_sending(*, claimed_before: datetime, channel: str = MessageChannel.EMAIL) -> QuerySet[Message]:
    """Messages of ``channel`` claimed so long ago that their worker must be gone (each channel recovers its own)."""
    return Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=claimed_before, channel=channel)


def messages_to_reconcile(*, unknown_before: datetime, limit: int) -> QuerySet[Message]:
    """Unknown outcomes old enough to ask the provider about, oldest first; those left for a person are not."""
    return (
        Message.objects.filter(status=MessageStatus.UNKNOWN, unknown_since__lt=unknown_before)
        .exclude(reconciliation=Reconciliation.LEFT_FOR_A_PERSON)
        .order_by("unknown_since", "pk")[:limit]
    )


def unknown_message_counts(*, shop_ids: set[int] | None) -> dict[str, int]:
    """Messages of unknown outcome (and those of them left for a person) and reconciled ones, in these shops."""
    scope = Message.objects.all() if shop_ids is None else Message.objects.filter(shop_id__in=shop_ids)
    return scope.aggregate(
        unknown=Count("pk", filter=Q(status=MessageStatus.UNKNOWN)),
        left_for_a_person=Count(
            "pk", filter=Q(status=MessageStatus.UNKNOWN, reconciliation=Reconciliation.LEFT_FOR_A_PERSON)
        ),
        reconciled=Count("pk", filter=~Q(reconciliation="")),
    )


def messages_unresolved_for(*, shop: Shop, limit: int = 20) -> tuple[int, list[Message]]:
    """The shop's messages whose outcome is still unknown (for its daily digest): how many, and the oldest."""
    unresolved = Message.objects.filter(shop=shop, status=MessageStatus.UNKNOWN)
    return unresolved.count(), list(unresolved.select_related("order").order_by("unknown_since", "pk")[:limit])


def shops_with_unresolved_messages() -> set[int]:
    """Shops with at least one message of unknown outcome (the daily digest tells them)."""
    return set(Message.objects.filter(status=MessageStatus.UNKNOWN).values_list("shop_id", flat=True).distinct())


def sent_recently_count(*, shipment_id: int, since: datetime) -> int:
    """Emails about one parcel that went out (or are on their way) since ``since``; the daily cap counts these."""
    return Message.objects.filter(
        shipment_id=shipment_id,
        channel=MessageChannel.EMAIL,
        created_at__gte=since,
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.UNKNOWN],
    ).count()


def campaign_message_counts(*, campaign_id: int) -> dict[str, dict[str, int]]:
    """Per variant: sent, delivered and opened emails of one campaign (the source of campaigns' report)."""
    rows = (
        Message.objects.filter(campaign_id=campaign_id)
        .values("variant")
        .annotate(
            sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
        )
    )
    return {row["variant"]: {key: row[key] for key in ("sent", "delivered", "opened")} for row in rows}


def email_totals(*, shop_id: int, since: datetime, campaigns_only: bool = False) -> dict[str, int]:
    """A shop's emails sent since ``since`` and how many of them were opened and clicked (campaigns' only, if asked)."""
    messages = Message.objects.filter(
        shop_id=shop_id, channel=MessageChannel.EMAIL, status=MessageStatus.SENT, sent_at__gte=since
    )
    if campaigns_only:
        messages = messages.filter(campaign_id__isnull=False)
    return messages.aggregate(
        sent=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
