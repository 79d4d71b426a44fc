"""The words a customer reads for return states, resolutions and methods, translated when shown."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django.utils.translation import pgettext


def state_label(state: str) -> str:
    """The customer's name of a return state, in the active language."""
    labels = {
        "requested": pgettext("return state", "Requested"),
        "approved": pgettext("return state", "Approved"),
        "rejected": pgettext("return state", "Rejected"),
        "label_issued": pgettext("return state", "Return code issued"),
        "in_transit": pgettext("return state", "On its way back"),
        "received": pgettext("return state", "Received by the shop"),
        "resolved": pgettext("return state", "Resolved"),
        "closed": pgettext("return state", "Closed"),
    }
    return labels.get(state, state)


def resolution_label(resolution: str) -> str:
    """The customer's name of a resolution, in the active language."""
    labels = {
        "refund": pgettext("return resolution", "Refund"),
        "exchange": pgettext("return resolution", "Exchange for another size or product"),
        "store_credit": pgettext("return resolution", "Store credit"),
    }
    return labels.get(resolution, resolution)


def method_label(method: str) -> str:
    """The customer's name of a return method, in the active language."""
    labels = {
        "inpost_code": pgettext("return method", "InPost Paczkomat: a code, no label to print"),
        "packeta_code": pgettext("return method", "Packeta point: give the shop's return code"),
        "self_send": pgettext("return method", "Send it yourself to the shop's address"),
        "label": pgettext("return method", "A return label to print, from the shop"),
    }
    return labels.get(method, method)


def distance_text(metres: int | None, *, language: str) -> str:
    """How far a drop-off point is, e.g. "350 m" or "1,2 km" in the customer's number format ('' when unknown)."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{metres} m"
    return f"{format_decimal(round(metres / 1000, 1), format='0.0', locale=language)} km"


def money_text(amount: Decimal | None, currency: str, *, language: str) -> str:
    """An amount as the customer writes money, e.g. "107,80 zł" ('' when there is none)."""
    if amount is None:
        return ""
    return format_currency(amount, currency or "PLN", locale=language)
