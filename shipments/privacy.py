"""Personal data of orders and parcels: the customer's identity on the order, what carriers wrote about them.

Kept on erasure: order number, amounts, country, language, items, parcels, statuses and times — the
statistics. Tracking numbers stay: they are the carrier's reference, and nothing left here ties them
to a person.
"""

from shipments.models import Order, OrderItem, Shipment, TrackingEvent
from shops.privacy import BLANK, PersonalData, register

register(
    PersonalData(
        model=Order,
        is_order=True,
        order_path="pk",
        email_lookups=("customer_email__iexact",),
        identity_fields=("customer_email", "customer_name", "customer_phone"),
        phone_field="customer_phone",
        fields={
            "customer_name": BLANK,
            "customer_email": BLANK,
            "customer_phone": BLANK,
            "shipping_city": BLANK,
            "shipping_postcode": BLANK,
            # When consent was given ties the order to a person's choice at a moment; the choice itself stays.
            "email_marketing_consent_at": BLANK,
            "sms_marketing_consent_at": BLANK,
        },
        # The order lives on while its parcels move: retention counts from the last thing that happened.
        activity_paths=("updated_at", "shipments__last_event_at", "shipments__status_changed_at"),
    ),
    PersonalData(model=OrderItem, order_path="order", shop_path="order__shop"),
    # A proof of delivery may name whoever signed; the carrier's event texts may name the customer.
    PersonalData(model=Shipment, order_path="order", fields={"proof_of_delivery": BLANK}),
    PersonalData(model=TrackingEvent, order_path="shipment__order", scrub=("text",)),
)
