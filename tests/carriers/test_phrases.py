"""The phrasebook: whole phrasings per language and code, normalized; patterns must match all the text."""

import re

import pytest

from carriers.phrases import Phrasebook, normalize_phrase
from carriers.types import Reason, Status

OUT = (Status.OUT_FOR_DELIVERY, "")
TRANSIT = (Status.IN_TRANSIT, "")


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("  Shipment is OUT   for delivery. ", "shipment is out for delivery"),
        ("Delivered - Signed for by: A. Nowak", "delivered signed for by a nowak"),
        ("Die Sendung wurde im Ziel-Paketzentrum bearbeitet.", "die sendung wurde im ziel paketzentrum bearbeitet"),
        ("PRZESYŁKA\tDORĘCZONA", "przesyłka doręczona"),
        ("snake_case", "snake case"),
        ("", ""),
    ],
)
def test_normalizing_folds_case_punctuation_and_whitespace_but_keeps_letters(text, normalized):
    assert normalize_phrase(text) == normalized


def test_exact_phrasings_match_only_the_whole_text_under_their_code():
    book = Phrasebook({"en": {"transit": {"Out for delivery": OUT}}})

    assert book.read("transit", "OUT FOR DELIVERY!") == OUT
    assert book.read("transit", "Not out for delivery") is None
    assert book.read("transit", "Out for delivery tomorrow") is None
    assert book.read("delivered", "Out for delivery") is None
    assert book.codes == frozenset({"transit"})


def test_patterns_must_match_the_whole_normalized_text():
    book = Phrasebook({"en": {"transit": {re.compile(r"departed facility in [\w ]+"): TRANSIT}}})

    assert book.read("transit", "Departed Facility in LEIPZIG - GERMANY") == TRANSIT
    assert book.read("transit", "Shipment departed facility in Leipzig") is None


def test_the_given_language_is_tried_first_then_the_others():
    # given one wording meaning different things in two languages (contrived, to see the order)
    book = Phrasebook({"en": {"transit": {"Kurier": TRANSIT}}, "pl": {"transit": {"Kurier": OUT}}})

    assert book.read("transit", "Kurier", languages=["pl"]) == OUT
    assert book.read("transit", "Kurier", languages=["xx", "en"]) == TRANSIT
    assert book.read("transit", "Kurier") == TRANSIT


def test_a_phrasing_listed_twice_with_two_meanings_is_refused():
    with pytest.raises(ValueError, match="two meanings"):
        Phrasebook({"en": {"failure": {"Refused.": (Status.FAILED_ATTEMPT, Reason.REFUSED), "refused": TRANSIT}}})
