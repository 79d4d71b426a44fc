"""The languages customers read Parcelfront in: one catalog each under ``locale/`` (the words live there).

Keep in step with ``LANGUAGES`` in ``config/settings.py``; ``tests/test_catalogs.py`` checks both and the
catalogs on disk.
"""

# Each language's own name for itself, in the order the page's language switcher lists them.
LANGUAGE_NAMES = {"pl": "Polski", "en": "English", "de": "Deutsch", "cs": "Čeština", "sk": "Slovenčina"}
SUPPORTED_LANGUAGES = tuple(LANGUAGE_NAMES)
DEFAULT_LANGUAGE = "en"


def language_or_default(language: str | None) -> str:
    """``language`` if we support it (``pl-PL`` counts as ``pl``), else English."""
    short = (language or "").split("-")[0].split("_")[0].lower()
    return short if short in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
