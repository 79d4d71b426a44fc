"""Tracking-number detection: known numbers, ranking rules, and properties of the check digits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carriers import detection
from carriers.detection import (
    CONFIDENT,
    Candidate,
    detect,
    fedex_express_check_digit,
    mod7_check_digit,
    mod37_36_check_character,
    normalize,
    s10_check_digit,
    ups_check_digit,
)

DIGITS = "0123456789"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------- public test vectors


@pytest.mark.parametrize(
    "number", ["1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591", "1Z8V92A70367203024"]
)
def test_valid_ups_numbers_are_detected_confidently(number):
    result = detect(number)

    assert result.best == Candidate("ups", 0.99, "1Z number with a valid UPS check digit")
    assert result.is_confident is True


def test_ups_shape_with_a_wrong_check_digit_is_only_a_low_confidence_candidate():
    result = detect("1Z1111111111111111")

    assert result.candidates == [Candidate("ups", 0.5, "1Z shape, but the UPS check digit is wrong")]
    assert result.best is None
    assert result.is_confident is False


def test_polish_s10_number_goes_to_poczta_polska_and_foreign_ones_say_their_country():
    polish = detect("rr 123 456 785 pl")
    british = detect("RB123456785GB")
    wrong_check = detect("RB123456786PL")

    assert polish.normalized == "RR123456785PL"
    assert polish.best == Candidate("poczta_polska", 0.97, "UPU S10 number issued in PL, check digit valid")
    assert british.best is None
    assert british.candidates == [
        Candidate(
            "poczta_polska",
            0.5,
            "upu_s10 number issued in GB (check digit valid); Poczta Polska tracks it once in PL",
        )
    ]
    assert wrong_check.best is None
    assert wrong_check.candidates[0].confidence == 0.4


def test_foreign_s10_with_a_wrong_check_digit_has_no_candidate():
    assert detect("RB123456786US").candidates == []


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("602677439331630337653846", "inpost"),
        ("Z 123 4567 890", "packeta"),
        ("PX1234567890", "poczta_polska"),
        ("JJD000390007788812345", "dhl"),
        ("JVGL0999999990", "dhl"),
        ("00340434292135100124", "dhl"),
        ("GM2951173225174494", "dhl"),
        ("0081 827 0998 0000 0200 33 350 276 C", "dpd"),
        ("%0081827099800000200453272 76N", "dpd"),
        ("1000727398456U", "dpd"),
    ],
)
def test_distinctive_formats_are_detected_confidently(number, carrier):
    result = detect(number)

    assert result.best is not None
    assert result.best.carrier == carrier
    assert result.best.confidence >= CONFIDENT


def test_dpd_barcode_with_a_wrong_check_character_is_not_dpd():
    assert [c.carrier for c in detect("008182709980000020033350276A").candidates] == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("2100012345678", [("orlen", 0.6)]),
        ("12345678901234", [("dpd", 0.6)]),
        ("3318810025", [("dhl", 0.55)]),
        ("73891051146", [("dhl", 0.55), ("gls", 0.3)]),
        ("986578788855", [("fedex", 0.6), ("gls", 0.3)]),
        ("996578788855", [("gls", 0.3)]),
        ("568283610012000", [("fedex", 0.4)]),
        ("Z12345", [("packeta", 0.6)]),
    ],
)
def test_weak_formats_are_offered_but_never_chosen(number, expected):
    result = detect(number)

    assert [(c.carrier, c.confidence) for c in result.candidates] == expected
    assert result.best is None


def test_low_confidence_stays_unchosen_even_when_it_is_the_shops_only_carrier():
    result = detect("2100012345678", enabled=["orlen"])

    assert result.best is None
    assert result.candidates[0].carrier == "orlen"


def test_nothing_recognizable_gives_no_candidates():
    result = detect("hello-world")

    assert result.normalized == "HELLOWORLD"
    assert result.candidates == []
    assert result.best is None


def test_close_rivals_are_ambiguous_unless_the_shop_uses_only_one_of_them(monkeypatch):
    # given two rules that both recognize the number with high, close confidence
    monkeypatch.setattr(
        detection,
        "RULES",
        (lambda number: [Candidate("alpha", 0.9, "a")], lambda number: [Candidate("beta", 0.85, "b")]),
    )

    # when detected without and with the shop's carriers
    unknown_shop = detect("X")
    uses_alpha = detect("X", enabled=["alpha"])
    uses_beta = detect("X", enabled=["beta"])
    uses_both = detect("X", enabled=["alpha", "beta"])

    # then only a shop using just the top carrier gets a choice; the ranking itself stays by confidence
    assert unknown_shop.best is None
    assert uses_alpha.best == Candidate("alpha", 0.9, "a")
    assert uses_beta.best is None
    assert uses_both.best is None
    assert [c.carrier for c in uses_beta.candidates] == ["alpha", "beta"]


def test_equal_confidence_is_ranked_with_enabled_carriers_first(monkeypatch):
    monkeypatch.setattr(
        detection,
        "RULES",
        (lambda number: [Candidate("alpha", 0.9, "a")], lambda number: [Candidate("beta", 0.9, "b")]),
    )

    assert [c.carrier for c in detect("X").candidates] == ["alpha", "beta"]
    assert [c.carrier for c in detect("X", enabled=["beta"]).candidates] == ["beta", "alpha"]
    assert detect("X", enabled=["beta"]).best == Candidate("beta", 0.9, "b")


def test_a_rival_far_enough_behind_does_not_block_the_choice(monkeypatch):
    monkeypatch.setattr(
        detection,
        "RULES",
        (lambda number: [Candidate("alpha", 0.95, "a")], lambda number: [Candidate("beta", 0.85, "b")]),
    )

    assert detect("X").best == Candidate("alpha", 0.95, "a")


def test_check_digit_functions_reject_bad_input():
    with pytest.raises(ValueError, match="8 digits"):
        s10_check_digit("1234567")
    with pytest.raises(ValueError, match="15 alphanumerics"):
        ups_check_digit("ABC")
    with pytest.raises(ValueError, match="digits"):
        mod7_check_digit("12a")
    with pytest.raises(ValueError, match="0-9 and A-Z"):
        mod37_36_check_character("12-3")
    with pytest.raises(ValueError, match="11 digits"):
        fedex_express_check_digit("1")


# --------------------------------------------------------------------------- properties


def replace_at(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def s10_remainder(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11


@given(serial=st.text(DIGITS, min_size=8, max_size=8), country=st.sampled_from(["PL", "DE", "GB", "US"]))
def test_s10_numbers_built_with_the_check_digit_always_validate(serial, country):
    number = f"RR{serial}{s10_check_digit(serial)}{country}"

    candidate = detect(number).candidates[0]

    assert candidate.carrier == "poczta_polska"
    assert candidate.confidence in {0.97, 0.5}
    assert "check digit valid" in candidate.reason


@given(serial=st.text(DIGITS, min_size=8, max_size=8), index=st.integers(0, 7), digit=st.sampled_from(DIGITS))
def test_s10_misses_a_single_digit_error_only_when_remainders_0_and_6_swap(serial, index, digit):
    # S10 maps remainder 0 to check 5 and remainder 6 to 11 - 6 = 5: the only collision there is.
    mutated = replace_at(serial, index, digit)
    remainders = {s10_remainder(serial), s10_remainder(mutated)}

    undetected = s10_check_digit(serial) == s10_check_digit(mutated)

    assert undetected == (mutated == serial or remainders == {0, 6})


@given(body=st.text(DIGITS, min_size=15, max_size=15), index=st.integers(0, 14), digit=st.sampled_from(DIGITS))
def test_ups_misses_a_digit_error_only_on_doubled_positions_when_the_digits_differ_by_5(body, index, digit):
    mutated = replace_at(body, index, digit)
    doubled = index % 2 == 1

    undetected = ups_check_digit(body) == ups_check_digit(mutated)

    assert undetected == (mutated == body or (doubled and abs(int(digit) - int(body[index])) == 5))


@given(body=st.text(ALNUM, min_size=15, max_size=15))
def test_ups_numbers_built_with_the_check_digit_always_validate(body):
    result = detect(f"1Z{body}{ups_check_digit(body)}")

    assert result.best == Candidate("ups", 0.99, "1Z number with a valid UPS check digit")


@given(serial=st.text(DIGITS, min_size=9, max_size=10), index=st.integers(0, 8), digit=st.sampled_from(DIGITS))
def test_mod7_misses_a_single_digit_error_exactly_when_the_digits_differ_by_7(serial, index, digit):
    mutated = replace_at(serial, index, digit)

    undetected = mod7_check_digit(serial) == mod7_check_digit(mutated)

    assert undetected == (abs(int(digit) - int(serial[index])) in {0, 7})


@given(body=st.text(ALNUM, min_size=1, max_size=30), data=st.data())
def test_mod37_36_detects_every_single_character_substitution(body, data):
    index = data.draw(st.integers(0, len(body) - 1))
    char = data.draw(st.sampled_from(ALNUM).filter(lambda c: c != body[index]))

    assert mod37_36_check_character(replace_at(body, index, char)) != mod37_36_check_character(body)


@given(serial=st.text(DIGITS, min_size=11, max_size=11))
def test_fedex_express_numbers_built_with_the_check_digit_are_fedex_candidates(serial):
    candidates = detect(f"{serial}{fedex_express_check_digit(serial)}").candidates

    assert candidates[0] == Candidate("fedex", 0.6, "12 digits with a valid FedEx Express check digit")


@given(number=st.text(ALNUM + " -", max_size=40))
def test_normalize_is_idempotent_and_spacing_never_changes_detection(number):
    spaced = " - ".join(number)

    assert normalize(normalize(number)) == normalize(number)
    assert detect(spaced) == detect(number)
