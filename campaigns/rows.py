"""Checking the rows of a bulk upload (CSV, API, admin): per-row errors and the cell parsers they share.

Bulk writes (catalog rows, uploaded codes, redemptions) are all or nothing: every row is checked
first, and one bad row means nothing is stored and the result lists each bad row with its field.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from campaigns.models import list_to_text, text_to_list
from config.csv_files import yes_no

MAX_BULK_ROWS = 50_000

_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class RowError:
    """A problem with one input row: ``row`` counts data rows from 1 (a CSV's line is row + 1)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}" if self.field else f"row {self.row}: {self.message}"


@dataclass
class BulkResult:
    """What a bulk write did (or, on a dry run or with errors, would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def cell_text(row: Mapping[str, Any], name: str) -> str:
    """The cell ``name`` of ``row`` as stripped text ("" when missing)."""
    value = row.get(name)
    return "" if value is None else str(value).strip()


def parse_bool(value: Any, *, default: bool) -> bool:
    """A yes/no cell in any of our languages; ``default`` when empty; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    answer = yes_no(str(value))
    if answer is not None:
        return answer
    raise ValueError(f"{value!r} is not yes/no (use true or false)")


def parse_decimal(value: Any) -> Decimal | None:
    """A non-negative amount with two decimals (comma or dot); None when empty; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number (e.g. 49.90)") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} must be zero or more")
    if number >= Decimal("1e10"):
        raise ValueError(f"{value!r} is too large")
    return number.quantize(Decimal("0.01"))


def parse_when(value: Any) -> datetime | None:
    """A date or date-time cell as an aware datetime (UTC when no offset); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(f"{value!r} is not a date (use 2026-11-20 or 2026-11-20T14:30:00+01:00)")
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def check_url(value: str, *, required: bool) -> str:
    """An http(s) URL of at most 500 characters (or "" when optional and empty); ValueError otherwise."""
    if not value:
        if required:
            raise ValueError("is required")
        return ""
    if len(value) > 500:
        raise ValueError("is longer than 500 characters")
    try:
        _url_validator(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not an http(s) URL") from None
    return value


def tags_of(value: Any) -> str:
    """Tags from a list or a comma/semicolon/pipe separated cell, as the stored comma text."""
    if isinstance(value, (list, tuple)):
        return list_to_text([str(tag) for tag in value])
    return list_to_text(text_to_list(str(value or "").replace(";", ",").replace("|", ",")))
