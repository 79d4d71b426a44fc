"""Personal data of returns: the customer's note, photos and label; what was returned, why and how stays for statistics."""

from returns.models import ReturnItem, ReturnRequest
from shops.privacy import BLANK, PersonalData, register

register(
    PersonalData(
        model=ReturnRequest,
        order_path="order",
        # The label PDF carries the customer's name and address: the file goes.
        fields={"customer_note": BLANK, "label_file": BLANK},
        scrub=("resolution_note", "rejection_reason"),
        files=("label_file",),
    ),
    # Photos may show the customer's home or face: the files go, the reason and quantities stay.
    PersonalData(model=ReturnItem, order_path="return_request__order", fields={"photo": BLANK}, files=("photo",)),
)
