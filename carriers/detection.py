"""Guess the carrier from a tracking number: patterns and check digits, ranked with a confidence.

A guess is only taken (`Detection.best`) when it is confident and has no close rival; everything
else is offered as ranked candidates for a human to confirm (see CARRIERS.md, "Detection").
Pure functions, no I/O. Check-digit functions are public because they are useful on their own
(validating input forms) and are property-tested.

Sources of the formats and test vectors: UPU S10 standard (as summarized in CARRIERS.md), the
public `tracking_number_data` dataset (UPS mod 10, DHL Express mod 7, DPD ISO 7064 MOD 37,36,
FedEx Express weights 3-1-7), and carrier-specific patterns listed in CARRIERS.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# At or above this a single candidate may be chosen automatically.
CONFIDENT = 0.8
# A rival this close to the top candidate makes the choice ambiguous.
AMBIGUITY_MARGIN = 0.1

_SEPARATORS = re.compile(r"[\s\-]+")
_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_FEDEX_EXPRESS_WEIGHTS = (3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One carrier that could own a number, how sure we are (0..1), and why."""

    carrier: str
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class Detection:
    """The normalized number and its candidates, best first."""

    normalized: str
    candidates: list[Candidate] = field(default_factory=list)
    best: Candidate | None = None

    @property
    def is_confident(self) -> bool:
        """True when one carrier was chosen without ambiguity."""
        return self.best is not None


# --------------------------------------------------------------------------- check digits


def normalize(number: str) -> str:
    """Strip whitespace and dashes, upper-case: the form numbers are stored and compared in."""
    return _SEPARATORS.sub("", number).upper()


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of an 8-digit serial: weights 8,6,4,2,3,5,9,7, mod 11 (1 -> 0, 0 -> 5)."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"S10 serial must be 8 digits, got {serial!r}")
    remainder = sum(int(digit) * weight for digit, weight in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return 0
    if remainder == 0:
        return 5
    return 11 - remainder


def ups_check_digit(body: str) -> int:
    """UPS check digit over the 15 characters between "1Z" and the check digit.

    Letters count as (ord - 63) mod 10 (A=2, B=3, ...); odd positions weigh 1, even ones 2.
    """
    if len(body) != 15 or not body.isalnum() or not body.isascii():
        raise ValueError(f"UPS body must be 15 alphanumerics, got {body!r}")
    total = 0
    for index, char in enumerate(body.upper()):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * (1 if index % 2 == 0 else 2)
    return (10 - total % 10) % 10


def mod7_check_digit(serial: str) -> int:
    """DHL Express check digit: the serial (all digits before the check digit) modulo 7."""
    if not serial.isdigit():
        raise ValueError(f"mod 7 serial must be digits, got {serial!r}")
    return int(serial) % 7


def mod37_36_check_character(body: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid) check character over 0-9/A-Z, as on DPD's 28-character barcodes."""
    modulus = 36
    product = modulus
    for char in body.upper():
        value = _ALNUM36.find(char)
        if value < 0:
            raise ValueError(f"MOD 37,36 takes 0-9 and A-Z only, got {char!r}")
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return _ALNUM36[(modulus + 1 - product) % modulus]


def fedex_express_check_digit(serial: str) -> int:
    """FedEx Express (12-digit) check digit over the first 11 digits: weights 3,1,7,..., mod 11, mod 10."""
    if len(serial) != 11 or not serial.isdigit():
        raise ValueError(f"FedEx Express serial must be 11 digits, got {serial!r}")
    total = sum(int(digit) * weight for digit, weight in zip(serial, _FEDEX_EXPRESS_WEIGHTS, strict=True))
    return total % 11 % 10


# --------------------------------------------------------------------------- rules

# A rule looks at the normalized number and returns the candidates it recognizes (maybe none).
Rule = Callable[[str], list[Candidate]]

_S10 = re.compile(r"[A-Z]{2}(\d{8})(\d)([A-Z]{2})")
_UPS = re.compile(r"1Z([0-9A-Z]{15})([0-9])")
_DHL_EXPRESS = re.compile(r"\d{10,11}")
_DHL_PIECE = re.compile(r"JJD\d{8,}|J[A-Z]{2,3}\d{9,10}")
_DHL_ECOMMERCE = re.compile(r"(GM|LX|RX)\d{10,39}")
_DHL_PARCEL = re.compile(r"00340434\d{12}")
_INPOST = re.compile(r"\d{24}")
_PACKETA = re.compile(r"Z(\d+)")
_POCZTEX = re.compile(r"PX\d{10}")
_ORLEN = re.compile(r"\d{13}")
_DPD_PARCEL = re.compile(r"\d{14}")
_DPD_POLAND = re.compile(r"\d{13}[A-Z]")
_DPD_BARCODE = re.compile(r"%?(\d{7})(\d{14})(\d{3})(\d{3})([0-9A-Z])")
_FEDEX_EXPRESS = re.compile(r"(\d{11})(\d)")
_FEDEX_OTHER = re.compile(r"\d{15}|\d{20}|\d{22}|\d{34}")
_GLS = re.compile(r"\d{11,12}")


def _upu_s10(number: str) -> list[Candidate]:
    match = _S10.fullmatch(number)
    if not match:
        return []
    serial, check, country = match.groups()
    valid = s10_check_digit(serial) == int(check)
    if country == "PL":
        if valid:
            return [Candidate("poczta_polska", 0.97, "UPU S10 number issued in PL, check digit valid")]
        return [Candidate("poczta_polska", 0.4, "UPU S10 shape with PL suffix, but the check digit is wrong")]
    if not valid:
        return []
    # Foreign postal items are handed to Poczta Polska at the border, which tracks them from there.
    return [
        Candidate(
            "poczta_polska",
            0.5,
            f"upu_s10 number issued in {country} (check digit valid); Poczta Polska tracks it once in PL",
        )
    ]


def _pocztex(number: str) -> list[Candidate]:
    if _POCZTEX.fullmatch(number):
        return [Candidate("poczta_polska", 0.85, "Pocztex number (PX + 10 digits)")]
    return []


def _ups(number: str) -> list[Candidate]:
    match = _UPS.fullmatch(number)
    if not match:
        return []
    body, check = match.groups()
    if ups_check_digit(body) == int(check):
        return [Candidate("ups", 0.99, "1Z number with a valid UPS check digit")]
    return [Candidate("ups", 0.5, "1Z shape, but the UPS check digit is wrong")]


def _dhl(number: str) -> list[Candidate]:
    if _DHL_PARCEL.fullmatch(number):
        return [Candidate("dhl", 0.9, "DHL Parcel number (00340434 + 12 digits)")]
    if _DHL_PIECE.fullmatch(number):
        return [Candidate("dhl", 0.9, "DHL piece id (J.. prefix)")]
    if _DHL_ECOMMERCE.fullmatch(number):
        return [Candidate("dhl", 0.85, f"DHL eCommerce number ({number[:2]} prefix)")]
    if _DHL_EXPRESS.fullmatch(number) and mod7_check_digit(number[:-1]) == int(number[-1]):
        # One in seven random numbers passes mod 7, so this alone is never decisive.
        return [Candidate("dhl", 0.55, "DHL Express waybill shape, mod 7 check digit valid")]
    return []


def _inpost(number: str) -> list[Candidate]:
    if _INPOST.fullmatch(number):
        return [Candidate("inpost", 0.9, "24 digits, the InPost parcel number format")]
    return []


def _packeta(number: str) -> list[Candidate]:
    match = _PACKETA.fullmatch(number)
    if not match:
        return []
    if len(match.group(1)) == 10:
        return [Candidate("packeta", 0.95, "Z + 10 digits, the Packeta barcode format")]
    return [Candidate("packeta", 0.6, "Z + digits, like a Packeta barcode but of unusual length")]


def _orlen(number: str) -> list[Candidate]:
    if _ORLEN.fullmatch(number):
        return [Candidate("orlen", 0.6, "13 digits, the Orlen Paczka pack code format (no check digit known)")]
    return []


def _dpd(number: str) -> list[Candidate]:
    barcode = _DPD_BARCODE.fullmatch(number)
    if barcode:
        body = "".join(barcode.groups()[:4])
        if mod37_36_check_character(body) == barcode.group(5):
            return [Candidate("dpd", 0.95, f"DPD label barcode, parcel number {barcode.group(2)}")]
    if _DPD_POLAND.fullmatch(number):
        return [Candidate("dpd", 0.85, "13 digits + letter, the DPD Polska waybill format")]
    if _DPD_PARCEL.fullmatch(number):
        return [Candidate("dpd", 0.6, "14 digits, the DPD parcel number format (no check digit)")]
    return []


def _fedex(number: str) -> list[Candidate]:
    express = _FEDEX_EXPRESS.fullmatch(number)
    if express and fedex_express_check_digit(express.group(1)) == int(express.group(2)):
        return [Candidate("fedex", 0.6, "12 digits with a valid FedEx Express check digit")]
    if _FEDEX_OTHER.fullmatch(number) and not _DHL_PARCEL.fullmatch(number):
        return [Candidate("fedex", 0.4, f"{len(number)} digits, one of the FedEx number lengths")]
    return []


def _gls(number: str) -> list[Candidate]:
    if _GLS.fullmatch(number):
        return [Candidate("gls", 0.3, "11-12 digits; GLS has no published format, so this is a weak guess")]
    return []


RULES: tuple[Rule, ...] = (_upu_s10, _pocztex, _ups, _dhl, _inpost, _packeta, _orlen, _dpd, _fedex, _gls)


# --------------------------------------------------------------------------- detection


def detect(number: str, *, enabled: Iterable[str] | None = None) -> Detection:
    """Rank the carriers that could own `number`; `enabled` (the shop's carriers) breaks ties."""
    normalized = normalize(number)
    enabled_codes = frozenset(enabled) if enabled is not None else frozenset()
    found: dict[str, Candidate] = {}
    for rule in RULES:
        for candidate in rule(normalized):
            kept = found.get(candidate.carrier)
            if kept is None or candidate.confidence > kept.confidence:
                found[candidate.carrier] = candidate
    ranked = sorted(
        found.values(),
        key=lambda candidate: (-candidate.confidence, candidate.carrier not in enabled_codes, candidate.carrier),
    )
    return Detection(normalized=normalized, candidates=ranked, best=_choose(ranked, enabled_codes))


def _choose(ranked: list[Candidate], enabled: frozenset[str]) -> Candidate | None:
    if not ranked or ranked[0].confidence < CONFIDENT:
        return None
    top = ranked[0]
    for rival in ranked[1:]:
        # Rounded, because 0.95 - 0.85 is 0.0999... in floating point.
        if round(top.confidence - rival.confidence, 6) >= AMBIGUITY_MARGIN:
            break
        # A close rival is only outweighed when the shop uses the top carrier and not the rival.
        if not (top.carrier in enabled and rival.carrier not in enabled):
            return None
    return top
