"""What a platform module hands to the services: normalized orders and parcels, typed errors. No Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    AUTH = "auth"  # credentials refused: the connection pauses and the owners are told
    TRANSIENT = "transient"  # timeout, 5xx, rate limit: the next sync retries
    SETUP = "setup"  # something the owner must change on the platform (e.g. BaseLinker's journal is off)
    MALFORMED = "malformed"  # the platform answered something we cannot read


class ConnectorError(Exception):
    """A failed call to a platform, with what an owner should read about it in plain words."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ParcelData:
    """One parcel as the platform knows it: its id there, number, courier and whether it comes back to the shop."""

    platform_parcel_id: str
    tracking_number: str
    courier: str = ""  # the platform's courier code or name, kept for the admin
    carrier: str | None = None  # our carrier code when the platform's courier maps to one; else detected
    is_return: bool = False
    group_id: str = ""  # Shopify: the fulfillment id


@dataclass(frozen=True)
class OrderData:
    """An order snapshot from a platform; ``number`` is None for parcel-only news (a fulfillment webhook).

    ``fields`` uses ``shipments.services.ORDER_FIELDS`` names. ``parcels_complete`` says the parcels are
    the platform's whole list, so a parcel we hold that is missing from it was withdrawn there.
    """

    platform_order_id: str
    number: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] | None = None
    parcels: tuple[ParcelData, ...] = ()
    parcels_complete: bool = False
    pickup_point: dict[str, Any] | None = None
    discount_codes: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass
class PollBatch:
    """What one poll found and where the next one starts."""

    orders: list[OrderData] = field(default_factory=list)
    cursor: str = ""
    more: bool = False  # the platform has more right now; the next poll continues
    problems: list[str] = field(default_factory=list)  # orders that could not be read, skipped, in plain words


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: the platform's delivery id (for at-least-once), its topic and the orders it carries."""

    delivery_id: str
    topic: str
    orders: tuple[OrderData, ...] = ()


@dataclass(frozen=True)
class Credentials:
    """A connection's settings as a platform module needs them (built from ``ShopConnection``)."""

    store_url: str = ""
    api_token: str = ""
    api_secret: str = ""
    webhook_secret: str = ""
    delivered_status_id: str = ""
    key: str = ""  # the connection's public id: rate-limit buckets are per connection


@dataclass(frozen=True)
class ParcelRef:
    """A parcel to write back: the platform's ids of it and of its order."""

    platform_order_id: str
    platform_parcel_id: str
    group_id: str = ""
