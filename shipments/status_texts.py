"""What each normalized status is called, and what it means for the customer: gettext messages, one set
shared by the tracking page and the emails so both always say the same thing (translations in ``locale/``).
"""

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from carriers.types import Reason, Status
from shops.languages import language_or_default

# The context "status" keeps a status's name apart from the same English word elsewhere (a progress step).
STATUS_LABELS: dict[Status, Promise] = {
    Status.PENDING: pgettext_lazy("status", "Order received"),
    Status.INFO_RECEIVED: pgettext_lazy("status", "Label created"),
    Status.IN_TRANSIT: pgettext_lazy("status", "On its way"),
    Status.OUT_FOR_DELIVERY: pgettext_lazy("status", "Out for delivery"),
    Status.AVAILABLE_FOR_PICKUP: pgettext_lazy("status", "Ready for pickup"),
    Status.FAILED_ATTEMPT: pgettext_lazy("status", "Delivery attempt failed"),
    Status.EXCEPTION: pgettext_lazy("status", "Problem with delivery"),
    Status.DELIVERED: pgettext_lazy("status", "Delivered"),
    Status.RETURNING_TO_SENDER: pgettext_lazy("status", "Returning to the shop"),
    Status.RETURNED_TO_SENDER: pgettext_lazy("status", "Returned to the shop"),
    Status.CANCELLED: pgettext_lazy("status", "Cancelled"),
    Status.EXPIRED: pgettext_lazy("status", "No recent updates"),
}

# One line telling the customer what the status means for them.
STATUS_EXPLANATIONS: dict[Status, Promise] = {
    Status.PENDING: gettext_lazy("We are preparing your parcel."),
    Status.INFO_RECEIVED: gettext_lazy("The carrier has the parcel's details and is waiting to pick it up."),
    Status.IN_TRANSIT: gettext_lazy("Your parcel is travelling through the carrier's network."),
    Status.OUT_FOR_DELIVERY: gettext_lazy("The courier is bringing your parcel today."),
    Status.AVAILABLE_FOR_PICKUP: gettext_lazy("Your parcel is waiting for you at the pickup point."),
    Status.FAILED_ATTEMPT: gettext_lazy("The courier could not deliver; check what to do next."),
    Status.EXCEPTION: gettext_lazy("Something went wrong on the way; we are on it."),
    Status.DELIVERED: gettext_lazy("Your parcel has been delivered. Enjoy!"),
    Status.RETURNING_TO_SENDER: gettext_lazy("The parcel is on its way back to the shop."),
    Status.RETURNED_TO_SENDER: gettext_lazy("The parcel is back at the shop."),
    Status.CANCELLED: gettext_lazy("This shipment was cancelled."),
    Status.EXPIRED: gettext_lazy("The carrier has not reported anything for a long time."),
}

# What a reason adds for the customer; replaces the status's generic explanation when known.
REASON_EXPLANATIONS: dict[str, Promise] = {
    Reason.PICKED_UP: gettext_lazy("The carrier has picked up your parcel."),
    Reason.CUSTOMS: gettext_lazy("Your parcel is going through customs clearance."),
    Reason.DELAYED: gettext_lazy("Your parcel is delayed on its way; the carrier is working on it."),
    Reason.REDIRECTED: gettext_lazy("Your parcel has been redirected to a new delivery place."),
    Reason.ADDRESS_PROBLEM: gettext_lazy("The carrier has a problem with the delivery address; please contact us."),
    Reason.RECIPIENT_ABSENT: gettext_lazy(
        "Nobody was there to take the parcel; the carrier will try again or leave a notice."
    ),
    Reason.REFUSED: gettext_lazy("The parcel was refused at delivery."),
    Reason.LOST: gettext_lazy("The carrier cannot find your parcel; we are on it and will contact you."),
    Reason.DAMAGED: gettext_lazy("Your parcel was damaged on its way; we are on it and will contact you."),
    Reason.OVERSIZED: gettext_lazy("The parcel does not fit the locker; the carrier will deliver it another way."),
    Reason.PICKUP_EXPIRED: gettext_lazy("The time to collect the parcel has run out; it goes back to the shop."),
    Reason.PICKUP_REMINDER: gettext_lazy("Your parcel is still waiting for you at the pickup point."),
}


def _in_language(message: Promise, language: str | None) -> str:
    wanted = language_or_default(language)
    if translation.get_language() == wanted:  # already in it (inside an email's rendering): no switch
        return str(message)
    with translation.override(wanted):
        return str(message)


def status_label(status: str, language: str | None) -> str:
    """The customer-facing name of ``status`` in ``language``."""
    return _in_language(STATUS_LABELS[Status(status)], language)


def status_explanation(status: str, language: str | None) -> str:
    """One sentence telling the customer what ``status`` means for them."""
    return _in_language(STATUS_EXPLANATIONS[Status(status)], language)


def reason_explanation(reason: str, language: str | None) -> str:
    """What ``reason`` means for the customer in ``language``; empty when we have nothing specific to say."""
    message = REASON_EXPLANATIONS.get(reason or "")
    return _in_language(message, language) if message is not None else ""


def shipment_explanation(status: str, reason: str, language: str | None) -> str:
    """The reason's explanation when there is one, else the status's: what the page and emails tell the customer."""
    return reason_explanation(reason, language) or status_explanation(status, language)
