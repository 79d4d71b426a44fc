"""The thumbs up/down questions a shop may ask after the score, in the customer's language.

A fixed catalogue (the words live in the gettext catalogs, so every question reads well in all five
languages); the shop picks up to :data:`MAX_QUESTIONS` of them in its feedback settings.
"""

from django.utils.translation import gettext_lazy as _

MAX_QUESTIONS = 6

QUESTIONS = {
    "product": _("The product"),
    "delivery_speed": _("The delivery speed"),
    "courier": _("The courier"),
    "packaging": _("The packaging"),
    "tracking_updates": _("The tracking updates"),
    "price": _("The price"),
    "ordering": _("Ordering in our shop"),
    "customer_service": _("Our customer service"),
}
DEFAULT_QUESTIONS = ["product", "delivery_speed", "courier", "packaging", "tracking_updates"]
# For the admin (staff read English); customers get QUESTIONS in their language.
QUESTION_CHOICES = [
    ("product", "The product"),
    ("delivery_speed", "The delivery speed"),
    ("courier", "The courier"),
    ("packaging", "The packaging"),
    ("tracking_updates", "The tracking updates"),
    ("price", "The price"),
    ("ordering", "Ordering in the shop"),
    ("customer_service", "Customer service"),
]


def default_questions() -> list[str]:
    return list(DEFAULT_QUESTIONS)
