"""The personal-data registry: every app declares which of its rows and fields hold a customer's data.

Each app lists its declarations in ``<app>/privacy.py`` (found by :func:`autodiscover`, like the
admin's ``admin.py``), so export, erasure and retention (``shops.privacy_services``) cover whatever
an app adds by joining here, without this layer importing any app above it.

A declaration says how to find a customer's rows (through their orders, and/or by lookups on their
email), what to do on erasure (anonymise each personal field by a :class:`Rule`, scrub the
customer's own words out of free text and JSON, delete stored files — or delete the rows), and what
an export shows. Fields not named are kept: they carry the statistics (statuses, counts, times).
"""

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.module_loading import autodiscover_modules

ERASED = "[erased]"  # what scrubbing leaves where a customer's own words were
MIN_SCRUB_LENGTH = 3  # shorter names would mangle unrelated text (every "An" in a sentence)


class RuleKind(StrEnum):
    BLANK = "blank"  # "" (None for nullable fields, {} / [] for JSON)
    PLACEHOLDER = "placeholder"  # a fixed value
    HASHED = "hashed"  # the keyed hash of the value: still comparable, no longer readable


@dataclass(frozen=True)
class Rule:
    """How one personal field is anonymised."""

    kind: RuleKind
    placeholder: Any = None


BLANK = Rule(RuleKind.BLANK)
HASHED = Rule(RuleKind.HASHED)


def placeholder(value: Any) -> Rule:
    """Replace the field with the fixed ``value``."""
    return Rule(RuleKind.PLACEHOLDER, value)


class OnErase(StrEnum):
    ANONYMISE = "anonymise"
    DELETE = "delete"


@dataclass(frozen=True)
class PersonalData:
    """One model's personal data: how to find a customer's rows and how to erase them.

    ``shop_path`` leads from the model to its Shop (default: the model's ``tenant_path``);
    ``order_path`` to the customer's order (``"pk"`` on the order model itself), so rows follow
    the orders; ``email_lookups`` find rows by the customer's email where no order leads to them
    (e.g. ``"email__iexact"``, ``"payload__icontains"``); ``phone_lookups`` likewise by phone.
    ``fields`` anonymise, ``scrub`` replaces the customer's email, phone and name inside free text or
    JSON (blanked whole when retention erases without a customer), ``files`` are deleted after
    commit. ``expires_field`` makes retention delete rows older than the shop's retention by that
    date, whoever they belong to (copies and files that no order leads to). ``export_fields`` limits what an export shows (default:
    every column but secrets). The one declaration with ``is_order`` is the customer's order:
    its ``identity_fields`` are what scrubbing looks for (their values on the customer's orders),
    ``phone_field`` feeds ``phone_lookups``, and retention counts from its ``activity_paths``.
    """

    model: type[models.Model]
    fields: Mapping[str, Rule] = field(default_factory=dict)
    scrub: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    on_erase: OnErase = OnErase.ANONYMISE
    order_path: str | None = None
    email_lookups: tuple[str, ...] = ()
    phone_lookups: tuple[str, ...] = ()
    shop_path: str | None = None
    expires_field: str | None = None
    export_fields: tuple[str, ...] | None = None
    is_order: bool = False
    identity_fields: tuple[str, ...] = ()
    phone_field: str | None = None
    activity_paths: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def resolved_shop_path(self) -> str:
        return self.shop_path if self.shop_path is not None else self.model.tenant_path  # type: ignore[attr-defined]


_registry: dict[str, PersonalData] = {}
_discovered = False


def register(*declarations: PersonalData) -> None:
    """Add declarations to the registry (one per model; declaring a model twice is a mistake)."""
    for declaration in declarations:
        if declaration.label in _registry and _registry[declaration.label] != declaration:
            raise ValueError(f"{declaration.label} is already declared in the personal-data registry")
        lookups = declaration.email_lookups or declaration.phone_lookups
        if declaration.order_path is None and not (lookups or declaration.expires_field):
            raise ValueError(f"{declaration.label}: give an order_path, email or phone lookups or an expires_field")
        _registry[declaration.label] = declaration


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module so its declarations register (once per process)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("privacy")
        _discovered = True


def declarations() -> list[PersonalData]:
    """Every declaration, the order model's first (identity is read from it before anything changes)."""
    autodiscover()
    return sorted(_registry.values(), key=lambda declaration: (not declaration.is_order, declaration.label))


def order_declaration() -> PersonalData:
    """The declaration of the customer's order model."""
    orders = [declaration for declaration in declarations() if declaration.is_order]
    if len(orders) != 1:
        raise LookupError("exactly one personal-data declaration must have is_order=True")
    return orders[0]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def subject_hash(email: str) -> str:
    """A keyed hash of an email: the same person matches again (suppressions), nobody can read it back."""
    digest = hmac.new(settings.SECRET_KEY.encode(), normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return f"sha256:{digest}"


def anonymised_value(rule: Rule, model_field: models.Field, value: Any) -> Any:
    """The value ``rule`` leaves in ``model_field`` in place of ``value``."""
    if rule.kind == RuleKind.PLACEHOLDER:
        return rule.placeholder
    if rule.kind == RuleKind.HASHED:
        return subject_hash(str(value)) if value else value
    if model_field.null:
        return None
    if isinstance(model_field, models.JSONField):
        return [] if isinstance(value, list) else {}
    return ""


def scrubbed(value: Any, needles: Iterable[str]) -> Any:
    """``value`` (text or JSON) with every needle replaced by ``[erased]``, case-insensitively."""
    needles = sorted({needle for needle in needles if len(needle) >= MIN_SCRUB_LENGTH}, key=len, reverse=True)
    return _scrub(value, needles) if needles else value


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, dict):
        return {_scrub(key, needles): _scrub(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    return value
