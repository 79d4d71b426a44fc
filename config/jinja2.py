"""The Jinja2 environment for customer-facing pages and emails.

Autoescaping is on (Django's Jinja2 backend default). Translations come from Django's gettext
catalogs, so templates (``_()``, ``{% trans %}``) and Python code share the catalogs in ``locale/``,
in whatever language is active: callers rendering for a customer wrap it in ``translation.override``.
"""

from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from jinja2 import Environment


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    """``reverse`` for templates: ``url('tracking_portal:page', token)``."""
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def environment(**options: Any) -> Environment:
    """Build the project Jinja2 environment (called once by Django's template backend)."""
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    # Django's backend passes autoescape=True in options; make the default safe if called directly.
    options.setdefault("autoescape", True)
    env = Environment(extensions=extensions, trim_blocks=True, lstrip_blocks=True, **options)  # noqa: S701
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(static=static, url=url)
    return env
