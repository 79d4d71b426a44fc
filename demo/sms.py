"""The demo's SMS: the roastery texts "out for delivery", "ready for pickup" and failed attempts to the database outbox.

Texts go through the embedded outbox backend (Notifications → Stored SMS): no gateway, no cost. One
shop-written Polish text shows the editable templates; German and Czech customers get the built-in ones.
"""

from __future__ import annotations

from notifications.sms.models import SmsSettings, SmsTemplate
from shops.models import Shop

DEMO_PICKUP_TEXT = (
    "{{ shop_name }}: paczka z zamowieniem {{ order_number }} czeka w {{ pickup_point_name }}. "
    "Odbierz do {{ collect_by }}. {{ tracking_url }}"
)


def demo_sms_seed(*, shop: Shop) -> SmsSettings:
    """Turn SMS on for the demo shop: the default statuses plus failed attempts, transliterated to GSM-7."""
    settings_row, _ = SmsSettings.objects.update_or_create(
        shop=shop,
        defaults={
            "enabled": True,
            "statuses": ["out_for_delivery", "available_for_pickup", "failed_attempt"],
            "sender_name": "Ziarno",
            "transliterate": True,
            "monthly_cap": 500,
        },
    )
    SmsTemplate.objects.update_or_create(
        shop=shop, status="available_for_pickup", language="pl", defaults={"body": DEMO_PICKUP_TEXT}
    )
    return settings_row
