"""Reading a carrier's free text: whole known phrasings per language, never a phrase inside a sentence.

Some carriers (DHL) put the finer meaning of a coarse status code only in a sentence. A substring
search would read "Shipment is not out for delivery" or "Out for delivery to the line-haul hub"
as out for delivery; so a text counts only when the WHOLE of it, normalized (case, punctuation,
whitespace), is a phrasing the carrier is known to use for that code, or matches an anchored
pattern written for the normalized form. Anything else is unrecognized: the adapter keeps the
code's own mapping and the event says so (`TrackingEvent.unrecognized_text`), so it is counted
for review like an unmapped code.

A phrasebook is data::

    Phrasebook({
        "en": {                                   # language of the carrier's texts
            "transit": {                          # raw code the phrasings refine
                "Shipment picked up": (Status.IN_TRANSIT, Reason.PICKED_UP),
                re.compile(r"departed facility in .+"): (Status.IN_TRANSIT, ""),
            },
        },
    })

Plain strings are written as the carrier writes them and normalized on load; patterns are written
against the normalized text and must match all of it. Keep wildcards to place names in phrasings
that only confirm the code's own status: a wildcard in a refining pattern would let extra words
change the meaning unnoticed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from carriers.types import Status

Meaning = tuple[Status, str]
Phrasings = Mapping[str | re.Pattern[str], Meaning]

_NOT_WORD = re.compile(r"[\W_]+")


def normalize_phrase(text: str) -> str:
    """Case-folded words separated by single spaces; punctuation counts as a space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


class Phrasebook:
    """A carrier's known phrasings per language and raw code, each with the status and reason it means."""

    def __init__(self, languages: Mapping[str, Mapping[str, Phrasings]]) -> None:
        self._exact: dict[tuple[str, str], dict[str, Meaning]] = {}
        self._patterns: dict[tuple[str, str], list[tuple[re.Pattern[str], Meaning]]] = {}
        for language, codes in languages.items():
            for raw_code, phrasings in codes.items():
                exact = self._exact.setdefault((language, raw_code), {})
                patterns = self._patterns.setdefault((language, raw_code), [])
                for phrasing, meaning in phrasings.items():
                    if isinstance(phrasing, re.Pattern):
                        patterns.append((phrasing, meaning))
                        continue
                    key = normalize_phrase(phrasing)
                    if exact.get(key, meaning) != meaning:
                        raise ValueError(f"{language}/{raw_code}: {phrasing!r} is listed with two meanings")
                    exact[key] = meaning
        self.languages: tuple[str, ...] = tuple(languages)
        self.codes: frozenset[str] = frozenset(raw_code for _, raw_code in self._exact)

    def read(self, raw_code: str, text: str, *, languages: Iterable[str] = ()) -> Meaning | None:
        """What `text` means under `raw_code`, or None when it is not a whole known phrasing.

        The given languages (the one the carrier answered in first) are tried before the others:
        whole sentences do not collide across languages, and a carrier may fall back to another.
        """
        normalized = normalize_phrase(text)
        preferred = [language for language in languages if language in self.languages]
        for language in dict.fromkeys([*preferred, *self.languages]):
            meaning = self._exact.get((language, raw_code), {}).get(normalized)
            if meaning is not None:
                return meaning
            for pattern, meaning in self._patterns.get((language, raw_code), ()):
                if pattern.fullmatch(normalized):
                    return meaning
        return None
