"""Personal data of the tracking page: the customer's feedback comment (page counters hold no identity).

Page activity stores no IP address, user agent or cookie; its counters are exported with the order
and kept on erasure. A delivery rating stays for the statistics; the free-text comment goes.
"""

from shops.privacy import BLANK, PersonalData, register
from tracking_portal.models import DeliveryFeedback, PageActivity

register(
    PersonalData(model=PageActivity, order_path="order"),
    PersonalData(model=DeliveryFeedback, order_path="order", fields={"comment": BLANK}),
)
