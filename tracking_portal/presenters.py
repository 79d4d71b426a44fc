"""Turn an order (saved or sample) into exactly what the tracking page and the widget show.

Everything here is pure: plain model instances and lists in, frozen dataclasses out, no queries.
That is what lets the admin preview render unsaved sample data through the same code as real orders,
and what keeps the page's query count independent of how many events a parcel has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from carriers.registry import UnknownCarrier, adapter_class
from carriers.types import FINAL_STATUSES, Status
from config import formats
from shipments.lateness import Against, shipment_is_late, shop_zone
from shipments.models import Direction, Order, OrderItem, Shipment, TrackingEvent
from shipments.status_texts import shipment_explanation, status_label
from shops.languages import language_or_default
from shops.models import Shop
from shops.public_pages import LanguageLink, Theme, language_links, theme_for
from watchlist.explanations import Explanation, incident_explanation
from watchlist.models import Incident

# Newest events shown straight away; older ones sit in a <details> that works without JavaScript.
VISIBLE_EVENTS = 5
ATTENTION_STATUSES = frozenset(
    {
        Status.FAILED_ATTEMPT,
        Status.EXCEPTION,
        Status.RETURNING_TO_SENDER,
        Status.RETURNED_TO_SENDER,
        Status.CANCELLED,
        Status.EXPIRED,
    }
)
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class EventView:
    """One line of the timeline: our label beside the carrier's own words."""

    occurred_at: str  # ISO 8601 for <time datetime>
    when: str
    label: str
    text: str
    location: str


@dataclass(frozen=True)
class StepView:
    label: str
    state: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class PickupView:
    name: str
    address_lines: tuple[str, ...]
    opening_hours: str
    description: str
    map_url: str


@dataclass(frozen=True)
class EtaView:
    kind: str  # "expected", "late" or "delivered"
    text: str
    badge: str = ""  # "Late" in the page's language when the ETA has passed


@dataclass(frozen=True)
class ShipmentView:
    """One parcel as the customer sees it."""

    index: int
    heading: str
    is_return: bool
    icon: str  # id of the status icon in the page's SVG sprite
    status: str
    status_label: str
    explanation: str
    attention: bool
    updated: str
    eta: EtaView | None
    steps: tuple[StepView, ...]
    pickup: PickupView | None
    carrier: str
    carrier_name: str
    tracking_number: str
    carrier_url: str
    events: tuple[EventView, ...]
    older_events: tuple[EventView, ...]
    # An open watchlist incident explained to the customer (pickup deadline, failed attempt, delay ...).
    incident: Explanation | None = None


@dataclass(frozen=True)
class ItemView:
    name: str
    quantity: int
    image_url: str
    product_url: str


@dataclass(frozen=True)
class OrderPage:
    """Everything the page template renders."""

    language: str
    title: str
    order_number: str
    placed_on: str
    destination: str
    shipments: tuple[ShipmentView, ...]
    items: tuple[ItemView, ...]
    show_order_details: bool
    languages: tuple[LanguageLink, ...]
    support_url: str
    theme: Theme


def web_url(value: str) -> str:
    """``value`` if it is an http(s) URL, else empty: a stored ``javascript:`` link never reaches an href."""
    return value if isinstance(value, str) and value.lower().startswith(("https://", "http://")) else ""


def web_image_url(value: str) -> str:
    """An http(s) image URL, or an inline raster image (``data:image/png;base64,...``), else empty."""
    if isinstance(value, str) and value.lower().startswith(
        ("data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/webp;")
    ):
        return value
    return web_url(value)


def format_when(moment: datetime, *, language: str, zone: ZoneInfo) -> str:
    """A short date and time in the customer's language and the shop's time zone: "czw., 5 lis, 10:30"."""
    return formats.moment(moment, language=language, zone=zone)


def format_day(day: date | datetime, *, language: str, zone: ZoneInfo) -> str:
    """A weekday and date: "Thu, Nov 5" in the customer's language."""
    return formats.weekday_day(day, language=language, zone=zone if isinstance(day, datetime) else None)


def _eta_window(eta_from: datetime | None, eta_to: datetime | None, *, language: str, zone: ZoneInfo) -> str:
    start, end = eta_from or eta_to, eta_to or eta_from
    assert start is not None and end is not None
    return formats.delivery_window(start, end, language=language, zone=zone)


def shipment_eta(
    shipment: Shipment,
    *,
    promised: date | None,
    language: str,
    zone: ZoneInfo,
    now: datetime,
    learned: tuple[date, date] | None = None,
) -> EtaView | None:
    """The ETA line: when delivered, when expected, or that it is late (a passed ETA is never "upcoming").

    ``learned`` is the lane's learned window (earliest, latest; never past), shown when the carrier gave no ETA.

    Words in the active language (``order_page_build`` activates the customer's); ``language`` formats the dates.
    """
    status = Status(shipment.status)
    if status == Status.DELIVERED:
        when = shipment.delivered_at or shipment.status_changed_at
        if when is None:
            return None
        return EtaView(
            "delivered", gettext("Delivered %(when)s") % {"when": format_when(when, language=language, zone=zone)}
        )
    if status in FINAL_STATUSES or status in (Status.RETURNING_TO_SENDER,):
        return None
    if shipment.eta_from or shipment.eta_to:
        against = Against.CURRENT_ETA
        window = _eta_window(shipment.eta_from, shipment.eta_to, language=language, zone=zone)
    elif learned is not None and shipment.direction == Direction.OUTBOUND:
        # No carrier ETA: the lane's learned window (re-estimated on each view, never in the past).
        window = formats.delivery_window(
            datetime.combine(learned[0], time(0), tzinfo=zone),
            datetime.combine(learned[1], time(0), tzinfo=zone),
            language=language,
            zone=zone,
        )
        return EtaView("expected", gettext("Expected delivery: %(when)s") % {"when": window})
    elif promised is not None and shipment.direction == Direction.OUTBOUND:
        against = Against.PROMISED
        window = format_day(promised, language=language, zone=zone)
    else:
        return None
    if shipment_is_late(shipment, now=now, against=against, zone=zone, promised=promised):
        return EtaView(
            "late",
            gettext("It was expected by %(when)s and the carrier has not delivered it yet.") % {"when": window},
            badge=gettext("Late"),
        )
    if shipment.direction == Direction.RETURN:
        return EtaView("expected", gettext("Expected at the shop: %(when)s") % {"when": window})
    return EtaView("expected", gettext("Expected delivery: %(when)s") % {"when": window})


def shipment_steps(shipment: Shipment) -> tuple[StepView, ...]:
    """The progress bar: where the parcel is on its normalized journey (labels in the active language)."""
    status = Status(shipment.status)
    if shipment.direction == Direction.RETURN:
        labels = [
            pgettext("step", "Return registered"),
            pgettext("step", "On its way back"),
            pgettext("step", "Received by the shop"),
        ]
        position = {
            Status.PENDING: 0,
            Status.INFO_RECEIVED: 0,
            Status.CANCELLED: 0,
            Status.DELIVERED: 2,
            Status.RETURNED_TO_SENDER: 2,
        }.get(status, 1)
    else:
        last_mile = (
            pgettext("step", "Ready for pickup")
            if status == Status.AVAILABLE_FOR_PICKUP or shipment.pickup_point
            else pgettext("step", "Out for delivery")
        )
        labels = [
            pgettext("step", "Ordered"),
            pgettext("step", "Shipped"),
            pgettext("step", "On its way"),
            last_mile,
            pgettext("step", "Delivered"),
        ]
        position = {
            Status.PENDING: 0,
            Status.CANCELLED: 0,
            Status.INFO_RECEIVED: 1,
            Status.OUT_FOR_DELIVERY: 3,
            Status.AVAILABLE_FOR_PICKUP: 3,
            Status.FAILED_ATTEMPT: 3,
            Status.DELIVERED: 4,
        }.get(status, 2)
    steps = []
    for index, label in enumerate(labels):
        state = "done" if index < position else "current" if index == position else "todo"
        if status == Status.DELIVERED or (shipment.direction == Direction.RETURN and position == len(labels) - 1):
            state = "done"
        steps.append(StepView(label, state))
    return tuple(steps)


def osm_link(pickup: dict) -> str:
    """A plain OpenStreetMap link for a pickup point: coordinates when known, else an address search."""
    latitude, longitude = pickup.get("latitude"), pickup.get("longitude")
    if isinstance(latitude, (int, float)) and isinstance(longitude, (int, float)):
        return (
            f"https://www.openstreetmap.org/?{urlencode({'mlat': f'{latitude:.6f}', 'mlon': f'{longitude:.6f}'})}"
            f"#map=18/{latitude:.6f}/{longitude:.6f}"
        )
    query = " ".join(str(pickup.get(key) or "") for key in ("address", "postcode", "city")).strip()
    return f"https://www.openstreetmap.org/search?query={quote(query)}" if query else ""


def pickup_view(pickup: dict | None) -> PickupView | None:
    """Pickup point details (locker, shop, post office) as stored from ``carriers.types.PickupPoint``."""
    if not pickup:
        return None
    place = " ".join(part for part in (pickup.get("postcode") or "", pickup.get("city") or "") if part)
    lines = tuple(line for line in (pickup.get("address") or "", place) if line)
    return PickupView(
        name=str(pickup.get("name") or pickup.get("id") or ""),
        address_lines=lines,
        opening_hours=str(pickup.get("opening_hours") or ""),
        description=str(pickup.get("description") or ""),
        map_url=osm_link(pickup),
    )


def carrier_name(code: str) -> str:
    """The carrier's display name; an unknown code (carrier module removed) shows as the code."""
    try:
        return adapter_class(code).name
    except UnknownCarrier:
        return code.upper()


def carrier_tracking_url(code: str, number: str) -> str:
    """The carrier's own public tracking page for ``number`` (empty when the carrier has none)."""
    try:
        return adapter_class(code).tracking_url(number)
    except UnknownCarrier:
        return ""


def status_icon(status: Status, *, is_return: bool) -> str:
    """Which pictogram stands beside the status: box, truck, locker, check, alert or return arrow."""
    if status in (Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER) or (
        is_return and status not in ATTENTION_STATUSES and status != Status.DELIVERED
    ):
        return "return"
    if status in ATTENTION_STATUSES:
        return "alert"
    return {
        Status.PENDING: "box",
        Status.INFO_RECEIVED: "box",
        Status.AVAILABLE_FOR_PICKUP: "locker",
        Status.DELIVERED: "check",
    }.get(status, "truck")


def event_view(event: TrackingEvent, *, language: str, zone: ZoneInfo) -> EventView:
    return EventView(
        occurred_at=event.occurred_at.isoformat(),
        when=format_when(event.occurred_at, language=language, zone=zone),
        label=status_label(event.status, language) if event.status else "",
        text=event.text,
        location=event.location,
    )


def shipment_view(
    shipment: Shipment,
    events: Sequence[TrackingEvent],
    *,
    index: int,
    count: int,
    promised: date | None,
    language: str,
    zone: ZoneInfo,
    now: datetime,
    carrier_url: str,
    incident: Incident | None = None,
    learned: tuple[date, date] | None = None,
) -> ShipmentView:
    """One parcel's card; ``events`` newest first; words in the active language."""
    status = Status(shipment.status)
    is_return = shipment.direction == Direction.RETURN
    if is_return:
        heading = gettext("Return to the shop")
    elif count > 1:
        heading = gettext("Parcel %(n)s of %(m)s") % {"n": index, "m": count}
    else:
        heading = gettext("Your parcel")
    latest = shipment.status_changed_at or (events[0].occurred_at if events else None)
    views = tuple(event_view(event, language=language, zone=zone) for event in events)
    return ShipmentView(
        index=index,
        heading=heading,
        is_return=is_return,
        icon=status_icon(status, is_return=is_return),
        status=status.value,
        status_label=status_label(status, language),
        explanation=shipment_explanation(status, shipment.reason, language),
        attention=status in ATTENTION_STATUSES,
        # A delivered parcel's ETA line already says when; "last update" would repeat it.
        updated=(
            gettext("Last update: %(when)s") % {"when": format_when(latest, language=language, zone=zone)}
            if latest and status != Status.DELIVERED
            else ""
        ),
        eta=shipment_eta(shipment, promised=promised, language=language, zone=zone, now=now, learned=learned),
        steps=shipment_steps(shipment),
        pickup=pickup_view(shipment.pickup_point),
        carrier=shipment.carrier,
        carrier_name=carrier_name(shipment.carrier),
        tracking_number=shipment.tracking_number,
        carrier_url=carrier_url,
        events=views[:VISIBLE_EVENTS],
        older_events=views[VISIBLE_EVENTS:],
        incident=incident_words(incident, shipment, language=language, zone=zone, now=now) if incident else None,
    )


def incident_words(
    incident: Incident, shipment: Shipment, *, language: str, zone: ZoneInfo, now: datetime
) -> Explanation:
    """What the customer reads about an open incident of ``shipment`` at ``now``."""
    point = shipment.pickup_point if isinstance(shipment.pickup_point, dict) else {}
    deadline = incident.deadline_at
    return incident_explanation(
        incident_type=incident.incident_type,
        language=language,
        collect_by=format_day(deadline, language=language, zone=zone) if deadline else "",
        point=point.get("name", ""),
        expired=deadline is not None and now >= deadline,
    )


def masked_destination(order: Order) -> str:
    """Postcode and city only: never the street, never the customer's name, email or phone."""
    return " ".join(part for part in (order.shipping_postcode, order.shipping_city) if part)


def order_page_build(
    *,
    shop: Shop,
    order: Order | None,
    items: Sequence[OrderItem],
    shipments: Sequence[tuple[Shipment, Sequence[TrackingEvent]]],
    language: str,
    carrier_url_for: Callable[[int, Shipment], str],
    support_url: str = "",
    now: datetime | None = None,
    incidents: Mapping[int, Incident] | None = None,
    learned: Mapping[int, tuple[date, date]] | None = None,
) -> OrderPage:
    """The page for ``order`` (or, with ``order=None``, for a parcel looked up by tracking number only).

    ``shipments`` pairs each shipment with its events newest first; ``carrier_url_for(index, shipment)``
    gives the (click-recording) link to the carrier's own page; ``incidents`` maps a shipment id to its open
    incident the customer should have explained; ``learned`` a shipment id to its lane-learned delivery window.
    """
    language = language_or_default(language)
    zone = shop_zone(shop)
    now = now or timezone.now()
    outbound = [pair for pair in shipments if pair[0].direction != Direction.RETURN]
    returns = [pair for pair in shipments if pair[0].direction == Direction.RETURN]
    promised = order.promised_delivery_date if order is not None else None
    # The order's language (or the one picked on the page), never the visitor's browser's.
    with translation.override(language):
        views = []
        for position, (shipment, events) in enumerate([*outbound, *returns], start=1):
            views.append(
                shipment_view(
                    shipment,
                    events,
                    index=position,
                    count=len(outbound),
                    promised=promised,
                    language=language,
                    zone=zone,
                    now=now,
                    carrier_url=carrier_url_for(position, shipment),
                    incident=(incidents or {}).get(shipment.pk),
                    learned=(learned or {}).get(shipment.pk),
                )
            )
        title = gettext("Order %(number)s") % {"number": order.number} if order is not None else gettext("Your parcel")
        placed_on = (
            gettext("Ordered on %(date)s") % {"date": format_day(order.placed_at, language=language, zone=zone)}
            if order is not None and order.placed_at
            else ""
        )
    show_details = order is not None
    return OrderPage(
        language=language,
        title=title,
        order_number=order.number if order is not None else "",
        placed_on=placed_on,
        destination=masked_destination(order) if order is not None else "",
        shipments=tuple(views),
        items=tuple(
            ItemView(
                name=item.name,
                quantity=item.quantity,
                image_url=web_image_url(item.image_url),
                product_url=web_url(item.product_url),
            )
            for item in items
        )
        if show_details
        else (),
        show_order_details=show_details,
        languages=language_links(language),
        support_url=support_url,
        theme=theme_for(shop),
    )
