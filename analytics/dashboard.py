"""The admin home: tiles for the shop the user belongs to, chosen by their role, each linking to its list.

Other apps are read only through their selectors (watchlist, returns, notifications, campaigns, and
feedback); figures of parcels come from the roll-ups, never from a scan.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse

from analytics.models import DailyRollup
from analytics.sla import sla_tiles
from analytics.tiles import NO_FIGURE, Tile
from campaigns.selectors import campaign_revenue
from carriers.types import FINAL_STATUSES, Status
from feedback.selectors import score_summary
from notifications.selectors import email_totals
from returns.selectors import WAITING_STATES, returns_waiting_count
from shipments.lateness import shop_zone
from shipments.models import Direction, Shipment
from shops.models import Role, Shop
from watchlist.models import IncidentState
from watchlist.selectors import incidents_of_shop

MARKETING_DAYS = 30


def _admin_list(name: str, shop: Shop, **filters: str) -> str:
    return f"{reverse(f'admin:{name}_changelist')}?{urlencode({**filters, 'shop': shop.pk})}"


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else NO_FIGURE


def dashboard_tiles(*, shop: Shop, role: str, now: datetime) -> list[Tile]:
    """The tiles ``role`` sees for ``shop`` at ``now``: owners all, marketers marketing and customer voice,
    support parcels, the watchlist and returns."""
    today = now.astimezone(shop_zone(shop)).date()
    monday = today - timedelta(days=today.weekday())
    tiles: list[Tile] = []
    if role in (Role.OWNER, Role.SUPPORT):
        tiles += [_in_flight(shop), _on_time_this_week(shop, monday, today), _open_incidents(shop), _returns(shop)]
        tiles += sla_tiles(shop=shop, today=today)
    if role in (Role.OWNER, Role.MARKETER):
        since = datetime.combine(today - timedelta(days=MARKETING_DAYS), time(0), tzinfo=shop_zone(shop))
        tiles += [_emails(shop, since), _revenue(shop, since), _nps(shop, today)]
    return tiles


def _in_flight(shop: Shop) -> Tile:
    # Summed from the roll-ups (a few rows per lane and day), not counted over every parcel of the shop.
    count = DailyRollup.objects.filter(shop=shop, in_flight__gt=0).aggregate(total=Sum("in_flight"))["total"] or 0
    final = {status.value for status in FINAL_STATUSES} | {Status.RETURNING_TO_SENDER.value}
    open_statuses = sorted(value for value, _ in Shipment._meta.get_field("status").choices if value not in final)
    return Tile(
        "Parcels in flight",
        f"{count}",
        "on their way to customers",
        _admin_list(
            "shipments_shipment", shop, status__in=",".join(open_statuses), direction__exact=Direction.OUTBOUND
        ),
    )


def _on_time_this_week(shop: Shop, monday: date, today: date) -> Tile:
    totals = DailyRollup.objects.filter(shop=shop, day__gte=monday, day__lte=today).aggregate(
        delivered=Sum("delivered_that_day"), known=Sum("on_time_known_that_day"), on_time=Sum("on_time_that_day")
    )
    delivered, known, on_time = (totals[name] or 0 for name in ("delivered", "known", "on_time"))
    url = f"{reverse('admin:analytics_delivery')}?{urlencode({'shop': shop.pk, 'start': monday, 'end': today})}"
    return Tile(
        "Delivered on time this week",
        _percent(on_time, known),
        f"{on_time} of {known} with an estimate; {delivered} delivered",
        url,
        tone="" if not known else ("good" if on_time / known >= 0.9 else "bad"),
    )


def _open_incidents(shop: Shop) -> Tile:
    count = incidents_of_shop(shop=shop, state=IncidentState.OPEN).count()
    return Tile(
        "Open incidents",
        f"{count}",
        "parcels that need attention",
        _admin_list("watchlist_incident", shop, state__exact=IncidentState.OPEN),
        tone="bad" if count else "good",
    )


def _returns(shop: Shop) -> Tile:
    count = returns_waiting_count(shop_id=shop.pk)
    return Tile(
        "Returns waiting",
        f"{count}",
        "to approve or to resolve",
        _admin_list("returns_returnrequest", shop, state__in=",".join(WAITING_STATES)),
    )


def _emails(shop: Shop, since: datetime) -> Tile:
    totals = email_totals(shop_id=shop.pk, since=since)
    return Tile(
        f"Emails, last {MARKETING_DAYS} days",
        f"{totals['sent']}",
        f"sent; opened {_percent(totals['opened'], totals['sent'])}, clicked {_percent(totals['clicked'], totals['sent'])}",
        _admin_list("notifications_message", shop, status__exact="sent"),
    )


def _revenue(shop: Shop, since: datetime) -> Tile:
    revenue = campaign_revenue(shop_id=shop.pk, since=since)
    value = ", ".join(f"{amount:,.2f} {currency}".strip() for currency, amount in revenue.items()) or "0"
    return Tile(
        f"Campaign revenue, last {MARKETING_DAYS} days",
        value,
        "orders that used a campaign's code",
        _admin_list("campaigns_campaign", shop),
    )


def _nps(shop: Shop, today: date) -> Tile:
    summary = score_summary(shop, today - timedelta(days=MARKETING_DAYS), today)
    nps = summary.get("nps")
    return Tile(
        f"NPS, last {MARKETING_DAYS} days",
        NO_FIGURE if nps is None else f"{nps:+.0f}",
        f"{summary.get('responses', 0)} responses",
        _admin_list("feedback_feedbackresponse", shop),
    )
