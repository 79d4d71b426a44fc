"""What an SMS costs: its encoding (GSM-7 or UCS-2), its length in the encoding's units and its segment count.

GSM 03.38: a text of only GSM-7 characters takes 160 septets in one SMS, 153 per segment when
concatenated (the rest is the UDH); characters of the extension table (``€ [ ] { } ~ ^ \\ |``, form
feed) take two septets and are never split across segments. Any other character (ą, ł, č, an emoji)
makes the whole text UCS-2: 70 UTF-16 units in one SMS, 67 per segment, surrogate pairs never split.
Polish diacritics therefore double the cost; :func:`gsm_transliterate` replaces them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
SEGMENT_LIMIT = {GSM7: 153, UCS2: 67}

# Letters NFKD does not decompose into a base letter, and punctuation with a GSM-7 look-alike.
_TRANSLITERATIONS = {
    "\u0142": "l",  # ł
    "\u0141": "L",  # Ł
    "\u0111": "d",  # đ
    "\u0110": "D",  # Đ
    "\u0127": "h",  # ħ
    "\u0131": "i",  # dotless i
    "\u201e": '"',  # low double quote, Polish opening quote
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201a": "'",
    "\u2018": "'",
    "\u2019": "'",
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2026": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (CLDR times and dates)
    "\u2009": " ",  # thin space
    "\t": " ",
}
# The punctuation and spaces of the table above: never meaningful letters, so replaced in every text.
_PUNCTUATION = {char: value for char, value in _TRANSLITERATIONS.items() if not char.isalpha()}


@dataclass(frozen=True)
class SmsLength:
    """How long a text is as an SMS: characters, encoding, units in that encoding and segments."""

    characters: int
    encoding: str
    units: int
    segments: int

    @property
    def per_segment(self) -> int:
        return SINGLE_LIMIT[self.encoding] if self.segments <= 1 else SEGMENT_LIMIT[self.encoding]


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 alphabet (basic or extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _unit_costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_length(text: str) -> SmsLength:
    """Encoding, units and segment count of ``text`` (an empty text is one empty segment)."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    if units <= SINGLE_LIMIT[encoding]:
        return SmsLength(characters=len(text), encoding=encoding, units=units, segments=1)
    segments, used = 1, 0
    for cost in costs:  # a two-unit character (escape + char, surrogate pair) never straddles segments
        if used + cost > SEGMENT_LIMIT[encoding]:
            segments, used = segments + 1, 0
        used += cost
    return SmsLength(characters=len(text), encoding=encoding, units=units, segments=segments)


def gsm_punctuation(text: str) -> str:
    """``text`` with typographic punctuation and spaces (en dash, curly quotes, narrow no-break space) in GSM-7.

    Applied to every SMS: dates and time windows formatted for the customer's language carry such
    characters, and one of them alone would make a whole English text UCS-2 (70 characters per SMS).
    """
    return "".join(_PUNCTUATION.get(char, char) for char in text)


def gsm_transliterate(text: str) -> str:
    """``text`` with characters outside GSM-7 replaced by their closest GSM-7 letters (ą→a, ł→l, „→").

    Characters GSM-7 has (é, ä, ö, ü, ß …) stay; what has no look-alike (emoji, other scripts) stays too,
    so such a text is still UCS-2 rather than silently losing meaning.
    """
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _TRANSLITERATIONS:
            out.append(_TRANSLITERATIONS[char])
        else:
            base = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
            out.append(base if base and is_gsm7(base) else char)
    return "".join(out)
