"""What sending a batch of messages reads, fetched with one query per kind instead of several per message.

``messages_for_sending`` loads the messages with their shop (and its settings), order (and its
items), parcel and status change, wired to each other so nothing is read twice.
``RenderLookups.load`` then reads, for the whole batch at once, each parcel's latest event, the shops'
wording overrides, the orders' preferences links, the shops' recommendation catalogs and the
parcels' expected delivery windows. The single-message path is a batch of one, so
there is one way to read what an email shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from campaigns.selectors import ShopCatalog, shop_catalogs
from notifications.estimates import estimated_windows
from notifications.models import Message
from notifications.selectors import status_overrides_among
from notifications.sms.preferences import preferences_url_for, preferences_urls_for
from shipments.models import TrackingEvent
from shops.models import Shop


def messages_for_sending(*, message_ids: Iterable[int]) -> list[Message]:
    """The messages with everything rendering reads about their shop, order and parcel (four queries).

    Each shop (with its settings) is read once and shared by its messages: a chunk is mostly one shop's.
    """
    messages = list(
        Message.objects.filter(pk__in=list(message_ids))
        .select_related("order", "shipment", "status_change")
        .prefetch_related("order__items")
        .order_by("pk")
    )
    shops = Shop.objects.select_related("notification_settings").in_bulk({message.shop_id for message in messages})
    for message in messages:
        # The same rows reached another way: point them at the loaded ones instead of reading them again.
        message.shop = shops[message.shop_id]
        if message.order is not None:
            message.order.shop = message.shop
        if message.shipment is not None and message.shipment.order_id == message.order_id:
            message.shipment.order = message.order
            message.shipment.shop = message.shop
        if message.status_change is not None and message.status_change.shipment_id == message.shipment_id:
            message.status_change.shipment = message.shipment
    return messages


@dataclass(frozen=True)
class RenderLookups:
    """Per batch: latest event by shipment id, overrides by (shop id, status, language), preferences URL by order id."""

    latest_events: dict[int, TrackingEvent]
    overrides: dict[tuple[int, str, str], dict[str, str]]
    preferences_urls: dict[int, str]
    catalogs: dict[int, ShopCatalog]
    windows: dict[int, tuple[datetime | None, datetime | None]]

    @classmethod
    def load(cls, messages: Sequence[Message]) -> RenderLookups:
        status_messages = [message for message in messages if message.is_status_change]
        return cls(
            latest_events=_latest_events(
                shipment_ids={message.shipment_id for message in status_messages if message.shipment_id}
            ),
            overrides=status_overrides_among(
                keys={
                    (message.shop_id, message.to_status, message.language)
                    for message in status_messages
                    if message.is_transactional
                }
            ),
            preferences_urls=preferences_urls_for(
                order_ids={message.order_id for message in messages if message.order_id}
            ),
            catalogs=shop_catalogs(shop_ids={message.shop_id for message in status_messages}),
            windows=estimated_windows(
                list({message.shipment_id: message.shipment for message in status_messages}.values()),
                now=timezone.now(),
            ),
        )

    def latest_event(self, message: Message) -> TrackingEvent | None:
        return self.latest_events.get(message.shipment_id or 0)

    def overrides_for(self, message: Message) -> dict[str, str]:
        return self.overrides.get((message.shop_id, message.to_status, message.language), {})

    def window(self, message: Message) -> tuple[datetime | None, datetime | None]:
        """The expected delivery the email shows: the carrier's ETA, else the learned window, else nothing."""
        return self.windows.get(message.shipment_id or 0, (None, None))

    def catalog_for(self, message: Message) -> ShopCatalog | None:
        """The shop's recommendation catalog, or None (read it) for a message this batch did not expect."""
        return self.catalogs.get(message.shop_id)

    def preferences_url(self, message: Message) -> str:
        return self.preferences_urls[message.order_id] if message.order_id else preferences_url_for(order=None)


def _latest_events(*, shipment_ids: set[int]) -> dict[int, TrackingEvent]:
    """Each shipment's latest tracking event (by time, then by id), in one query."""
    if not shipment_ids:
        return {}
    ranked = TrackingEvent.objects.filter(shipment_id__in=shipment_ids).annotate(
        rank=Window(RowNumber(), partition_by=[F("shipment_id")], order_by=[F("occurred_at").desc(), F("pk").desc()])
    )
    return {event.shipment_id: event for event in ranked.filter(rank=1)}
