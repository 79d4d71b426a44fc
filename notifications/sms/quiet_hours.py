"""When an SMS may go: inside the shop's send window (08:00 to 20:00 by default) in the customer's time zone.

The time zone is the shipping country's when it has one, else the shop's
(:func:`notifications.rendering.customer_timezone`). Outside the window a text is held until the
window opens (a Polish order out for delivery at 21:30 is texted at 08:00 the next morning), never dropped.
"""

from __future__ import annotations

from datetime import datetime

from notifications.rendering import customer_timezone, in_quiet_hours
from notifications.sms.selectors import sms_settings_for
from shipments.models import Order
from shops.models import Shop


def sms_window_opens(*, moment: datetime, shop: Shop, order: Order) -> datetime | None:
    """When ``moment`` is outside the send window, the moment it next opens; None when it may go now."""
    conf = sms_settings_for(shop=shop)
    zone = customer_timezone(country=order.shipping_country, shop_timezone=shop.timezone)
    # Quiet hours are the complement of the window: from its end (evening) to its start (morning).
    return in_quiet_hours(moment=moment, start=conf.window_end, end=conf.window_start, timezone=zone)


def sms_send_after(*, shop: Shop, order: Order, earliest: datetime) -> datetime:
    """The first moment at or after ``earliest`` inside the send window."""
    return sms_window_opens(moment=earliest, shop=shop, order=order) or earliest
