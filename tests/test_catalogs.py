"""Every word customers read is in every language's catalog, with the placeholders its English has.

The messages come from running Babel's extraction (``babel.cfg``) over the code and the templates, as a
translator's `pybabel extract` would. English's msgstrs stay empty on purpose: its msgid is the English
text, so gettext shows the msgid; a non-empty English msgstr must still keep the placeholders.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

from shops.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

ROOT = Path(settings.BASE_DIR)
# A printf-style conversion as Python's % operator reads it: %(name)s, %s, %d ...; "%%" is a literal percent.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

Message = tuple[str | None, str]  # (context, msgid)


def placeholders(text: str) -> Counter[str]:
    """The placeholders in ``text``, counted (a repeated one must be repeated in the translation too)."""
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def extracted_messages() -> set[Message]:
    """(context, msgid) of every message Babel extracts from the project with babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        messages.add((context, msgid))
    return messages


def catalog_for(language: str) -> Catalog:
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po, locale=language)


def catalog_problems(catalog: Catalog, messages: set[Message], *, language: str) -> list[str]:
    """What keeps ``catalog`` from translating exactly ``messages``: missing, empty, fuzzy, placeholders, stale."""
    problems = []
    for context, msgid in sorted(messages, key=lambda message: (message[1], message[0] or "")):
        entry = catalog.get(msgid, context=context)
        label = f"{language}: {msgid!r}" + (f" (context {context!r})" if context else "")
        if entry is None:
            problems.append(f"{label} is missing")
            continue
        if entry.fuzzy:
            problems.append(f"{label} is fuzzy")
        translated = entry.string if isinstance(entry.string, str) else entry.string[0]
        if not translated:
            if language != DEFAULT_LANGUAGE:
                problems.append(f"{label} has no translation")
            continue
        if placeholders(translated) != placeholders(msgid):
            found, expected = sorted(placeholders(translated)), sorted(placeholders(msgid))
            problems.append(f"{label} has placeholders {found}, expected {expected}")
    stale = {(entry.context, entry.id) for entry in catalog if entry.id} - messages
    problems.extend(
        f"{language}: {msgid!r} is no longer used in the code" for _context, msgid in sorted(stale, key=str)
    )
    return problems


def test_the_catalogs_are_the_supported_languages_and_django_knows_them():
    catalogs = sorted(path.parent.parent.name for path in (ROOT / "locale").glob("*/LC_MESSAGES/django.po"))

    assert catalogs == sorted(SUPPORTED_LANGUAGES)
    assert [code for code, _name in settings.LANGUAGES] == list(SUPPORTED_LANGUAGES)
    assert ROOT / "locale" in [Path(path) for path in settings.LOCALE_PATHS]


def test_extraction_finds_the_messages_of_python_code_and_of_both_kinds_of_templates():
    messages = extracted_messages()

    assert ("status", "Out for delivery") in messages  # shipments/status_texts.py, pgettext_lazy
    assert (None, "Please choose one of the scores shown.") in messages  # feedback/views.py, gettext
    assert (None, "Open on the %(carrier)s website") in messages  # templates/tracking_portal/page.html
    assert (None, "%(status)s: your order %(number)s") in messages  # templates/emails/status.subject.txt


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language):
    messages = extracted_messages()

    problems = catalog_problems(catalog_for(language), messages, language=language)

    assert problems == []


def test_the_check_reports_missing_empty_fuzzy_stale_and_wrong_placeholders():
    catalog = Catalog(locale="pl")
    catalog.add("Order %(number)s", "Zamówienie")
    catalog.add("Your parcel", "")
    catalog.add("Late", "Opóźniona", flags=["fuzzy"])
    catalog.add("Gone", "Nie ma")
    catalog.add("Delivered", "Doręczona", context="status")
    messages = {
        (None, "Order %(number)s"),
        (None, "Your parcel"),
        (None, "Late"),
        (None, "Carrier"),
        ("status", "Delivered"),
    }

    problems = catalog_problems(catalog, messages, language="pl")

    assert problems == [
        "pl: 'Carrier' is missing",
        "pl: 'Late' is fuzzy",
        "pl: 'Order %(number)s' has placeholders [], expected ['%(number)s']",
        "pl: 'Your parcel' has no translation",
        "pl: 'Gone' is no longer used in the code",
    ]


def test_english_may_leave_msgstrs_empty_but_not_break_placeholders():
    catalog = Catalog(locale="en")
    catalog.add("Your parcel", "")
    catalog.add("Order %(number)s", "Order %(numer)s")

    problems = catalog_problems(catalog, {(None, "Your parcel"), (None, "Order %(number)s")}, language="en")

    assert problems == ["en: 'Order %(number)s' has placeholders ['%(numer)s'], expected ['%(number)s']"]


def test_the_compiled_catalogs_translate_page_and_status_words():
    with translation.override("pl"):
        assert gettext("Track your order") == "Śledź zamówienie"
        assert pgettext("status", "Delivered") == "Doręczona"
        assert pgettext("step", "Delivered") == "Doręczone"
    with translation.override("en"):
        assert pgettext("status", "Delivered") == "Delivered"
