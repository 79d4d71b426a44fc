"""Customers' phone numbers: validated on ingestion and normalized to E.164 with ``phonenumbers``.

A number without a country prefix is read in the order's shipping country (else the shop's default
region). Ingestion refuses what is not a valid number at all; whether a valid number can receive an
SMS (mobile, not a landline) is decided when an SMS would be sent (:func:`sms_recipient`).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# When neither the number nor the order names a country: the platform's home market.
DEFAULT_REGION = "PL"
# Types that may receive an SMS; FIXED_LINE_OR_MOBILE is what NANP (and some others) report for every number.
SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True)
class PhoneCheck:
    """A number in E.164 when usable, else why not (a sentence support and the shop read)."""

    e164: str = ""
    reason: str = ""


def _parse(raw: str, country: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, (country or DEFAULT_REGION).upper())
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_normalize(*, raw: str, country: str) -> PhoneCheck:
    """``raw`` in E.164 when it is a valid number (read in ``country`` when it has no prefix)."""
    if not raw.strip():
        return PhoneCheck(reason="The order has no phone number")
    number = _parse(raw, country)
    if number is None:
        return PhoneCheck(reason=f"Not a valid phone number for {(country or DEFAULT_REGION).upper()}")
    return PhoneCheck(e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def sms_recipient(*, raw: str, country: str) -> PhoneCheck:
    """The E.164 number to text, or why this order's number cannot get an SMS (missing, invalid, landline)."""
    check = phone_normalize(raw=raw, country=country)
    if not check.e164:
        return check
    number_type = phonenumbers.number_type(phonenumbers.parse(check.e164))
    if number_type not in SMS_TYPES:
        return PhoneCheck(reason="The phone number is a landline or cannot receive SMS")
    return check
