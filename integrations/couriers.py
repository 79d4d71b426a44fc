"""Courier names as shops type them (Shopify's tracking company, WooCommerce tracking providers) -> our carriers.

Matching is on a normalized name (lower case, letters and digits only) against data, longest
alias first; what matches nothing is left to detection from the tracking number
(``shipments.services.shipment_carrier_resolve``), which refuses a low-confidence guess.
"""

import re
import unicodedata

# Aliases per carrier code, normalized (see ``normalize``). Order inside a list does not matter.
COURIER_ALIASES: dict[str, tuple[str, ...]] = {
    "inpost": ("inpost", "paczkomaty", "paczkomat", "inpostpaczkomaty", "inpostkurier", "inpostpl"),
    "poczta_polska": ("pocztapolska", "pocztex", "envelo", "polishpost"),
    "dpd": ("dpd", "dpdpl", "dpdpoland", "dpdpolska"),
    "dhl": ("dhl", "dhlparcel", "dhlparcelpl", "dhlecommerce", "dhlexpress", "dhlpl", "dhl24"),
    "gls": ("gls", "glspoland", "glspl"),
    "ups": ("ups",),
    "fedex": ("fedex",),
    "packeta": ("packeta", "zasilkovna", "zasielkovna"),
    "orlen": ("orlen", "orlenpaczka", "ruch", "paczkawruchu"),
}
_BY_ALIAS = sorted(
    ((alias, carrier) for carrier, aliases in COURIER_ALIASES.items() for alias in aliases),
    key=lambda pair: -len(pair[0]),
)


def normalize(name: str) -> str:
    """``"InPost Paczkomaty"`` -> ``"inpostpaczkomaty"``, ``"Zásilkovna"`` -> ``"zasilkovna"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def carrier_for_courier(name: str) -> str | None:
    """Our carrier code for a courier name or slug, or None to detect it from the number."""
    key = normalize(name)
    if not key:
        return None
    for alias, carrier in _BY_ALIAS:
        if key == alias or key.startswith(alias):
            return carrier
    return None
