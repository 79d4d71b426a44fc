"""Encoding and segment counting (GSM-7 160/153, UCS-2 70/67) and transliteration to GSM-7."""

import pytest

from notifications.sms.gsm import GSM7, UCS2, gsm_transliterate, sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("€" * 80, GSM7, 160, 1),  # extension characters take two septets
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),
        ("ą" * 70, UCS2, 70, 1),
        ("ą" * 71, UCS2, 71, 2),
        ("ą" * 134, UCS2, 134, 2),
        ("ą" * 135, UCS2, 135, 3),
        ("a" * 69 + "📦", UCS2, 71, 2),  # an emoji is a surrogate pair: two units
        ("Zażółć", UCS2, 6, 1),
        ("Grüße aus Köln", GSM7, 14, 1),  # ü, ß and ö are in GSM-7
    ],
)
def test_encoding_units_and_segments(text, encoding, units, segments):
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)
    assert length.characters == len(text)


def test_an_extension_character_never_straddles_two_segments():
    # 152 plain septets then one two-septet character: it does not fit the first 153-septet segment
    assert sms_length("a" * 152 + "€" + "a" * 152).segments == 3


def test_polish_czech_and_slovak_diacritics_transliterate_to_gsm7():
    text = gsm_transliterate("Zażółć gęślą jaźń. Łódź — „Paczkomat” … Příliš žluťoučký kůň, ľahký ôsmy")
    assert text == 'Zazolc gesla jazn. Lodz - "Paczkomat" ... Prilis zlutoucky kun, lahky osmy'
    assert sms_length(text).encoding == GSM7


def test_transliteration_keeps_gsm7_letters_and_what_has_no_look_alike():
    assert gsm_transliterate("Grüße, é") == "Grüße, é"
    assert gsm_transliterate("📦 ok") == "📦 ok"
    assert sms_length(gsm_transliterate("📦 ok")).encoding == UCS2


def test_transliteration_halves_a_polish_text_s_cost():
    text = (
        "Sklep: Twoja paczka 1001 jest w doręczeniu, przewidywana dostawa jutro między 10:00 a 13:00. Śledź przesyłkę"
    )
    assert sms_length(text).segments == 2
    assert sms_length(gsm_transliterate(text)).segments == 1
