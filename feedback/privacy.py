"""Personal data of feedback: the customer's comment (their own words) goes on erasure; scores stay.

Scores, thumbs and carrier ratings say nothing about who gave them once the order is anonymised, and the
reports (NPS, CSAT, carrier ratings) need them; all of it is in the customer's export.
"""

from feedback.models import CarrierRating, FeedbackAnswer, FeedbackResponse
from shops.privacy import BLANK, PersonalData, register

register(
    PersonalData(model=FeedbackResponse, order_path="order", fields={"comment": BLANK}),
    PersonalData(model=FeedbackAnswer, order_path="response__order"),
    PersonalData(model=CarrierRating, order_path="shipment__order"),
)
