"""Personal data of returns: the customer's note and photos; what was returned, why and how stays for statistics."""

from returns.models import ReturnItem, ReturnRequest
from shops.privacy import BLANK, PersonalData, register

register(
    PersonalData(
        model=ReturnRequest,
        order_path="order",
        fields={"customer_note": BLANK},
        scrub=("resolution_note", "rejection_reason"),
    ),
    # Photos may show the customer's home or face: the files go, the reason and quantities stay.
    PersonalData(model=ReturnItem, order_path="return_request__order", fields={"photo": BLANK}, files=("photo",)),
)
