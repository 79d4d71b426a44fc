"""Personal data of campaigns: who got which campaign email (frequency caps), codes and clicks of an order.

Kept on erasure: dispatches (with the address hashed, so "unique customers" still counts right),
discount allocations, redemptions and clicks — they hold no identity once the order is anonymised.
"""

from campaigns.models import CampaignDispatch, Click, DiscountAllocation
from shops.privacy import HASHED, PersonalData, register

register(
    PersonalData(
        model=CampaignDispatch,
        order_path="order",
        email_lookups=("customer_email__iexact",),
        fields={"customer_email": HASHED},
    ),
    PersonalData(model=DiscountAllocation, order_path="order", shop_path="pool__shop"),
    PersonalData(model=Click, order_path="order"),
)
