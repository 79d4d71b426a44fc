"""Personal data of the tracking page: none of its own (page counters hold no identity).

Page activity stores no IP address, user agent or cookie; its counters are exported with the order
and kept on erasure. The customer's score and comment live in the feedback app (``feedback/privacy.py``).
"""

from shops.privacy import PersonalData, register
from tracking_portal.models import PageActivity

register(PersonalData(model=PageActivity, order_path="order"))
