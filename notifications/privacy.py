"""Personal data of messages: recipients (addresses, phone numbers), rendered bodies, ESP events, stored copies.

Kept on erasure: each message's status, timestamps and ESP events (delivered, opened, bounced ...),
so delivery and engagement statistics stay. A suppression is kept as a keyed hash of the address:
someone who unsubscribed, bounced or complained and then asked to be forgotten must stay
unsubscribed if the shop ever gets their address again, and the hash says "this address" without
holding it.
"""

from notifications.models import Message, MessageEvent, OutboxEmail, Suppression
from notifications.sms.models import OutboxSms, PreferencesLink, SmsOptOut
from shops.privacy import BLANK, HASHED, OnErase, PersonalData, register

register(
    PersonalData(
        model=Message,
        order_path="order",
        email_lookups=("to_email__iexact",),
        fields={
            "to_email": BLANK,
            "to_phone": BLANK,
            "subject": BLANK,
            "text_body": BLANK,
            "html_body": BLANK,
            "marketing_notes": BLANK,
        },
        scrub=("reason", "context"),
    ),
    PersonalData(
        model=MessageEvent,
        order_path="message__order",
        email_lookups=("recipient__iexact",),
        fields={"recipient": BLANK},
        scrub=("description",),
    ),
    PersonalData(model=Suppression, email_lookups=("email__iexact",), fields={"email": HASHED}),
    # The embedded ESP's copy of what was sent: nothing statistical lives here, so it goes.
    PersonalData(
        model=OutboxEmail,
        email_lookups=("to__icontains", "cc__icontains", "bcc__icontains"),
        on_erase=OnErase.DELETE,
        expires_field="created_at",
    ),
    # The database gateway's copy of each SMS: like the stored emails, it goes.
    PersonalData(model=OutboxSms, phone_lookups=("to",), on_erase=OnErase.DELETE, expires_field="created_at"),
    # An SMS opt-out outlives erasure as a keyed hash of the number, like a suppressed address.
    PersonalData(model=SmsOptOut, phone_lookups=("phone",), fields={"phone": HASHED}),
    # The token of an order's preferences page: nothing personal in it, but it opens the order's choices.
    PersonalData(model=PreferencesLink, order_path="order", on_erase=OnErase.DELETE),
)
