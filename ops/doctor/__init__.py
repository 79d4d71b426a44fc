"""``manage.py doctor``: every check an operator needs at 3 a.m., each answering ok, warning or error with a fix.

Checks live by subject — ``platform`` (settings, database, Redis, broker, migrations), ``workers`` (beat,
queues), ``providers`` (carrier accounts, ESP credentials, custom domains' DNS) — and each yields
``Finding`` rows. Nothing here changes state except the providers' read-only dry calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: its area and name, the verdict, what it saw, and how to fix it."""

    area: str
    name: str
    level: Level
    detail: str
    fix: str = ""


Check = Callable[[], Iterable[Finding]]


def doctor_run(checks: Iterable[Check]) -> Iterator[Finding]:
    """Run each check; a check that crashes becomes an error finding instead of hiding the others."""
    for check in checks:
        try:
            yield from check()
        except Exception as error:
            yield Finding(
                check.__module__.rsplit(".", 1)[-1],
                check.__name__.removeprefix("check_"),
                Level.ERROR,
                f"the check itself failed: {type(error).__name__}: {error}",
                "Run the doctor again with --traceback and report it",
            )
