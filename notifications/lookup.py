"""Asking a message's provider whether it has the message: the interface reconciliation relies on, for any channel.

A backend that can look a message up (by the id we put in the provider's metadata) offers
``lookup(message) -> LookupResult``: our own backends as a method (the database outbox; SMS gateways
of their channel), anymail's ESP backends through the adapters of ``notifications.esp_lookups``,
which also picks the lookup of a message's backend (``message_lookup_for``).
A provider with no lookup (Amazon SES: its event stream only) answers ``IMPOSSIBLE``; reconciliation
then waits for the provider's events for a quiet period before it resends once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx
from django.conf import settings

if TYPE_CHECKING:
    from notifications.models import Message


class LookupOutcome(enum.StrEnum):
    FOUND = "found"  # the provider has it: it was sent
    ABSENT = "absent"  # the provider confirms it never took it: safe to send again
    UNAVAILABLE = "unavailable"  # no answer now (timeout, 5xx, too early to trust absence): ask again later
    IMPOSSIBLE = "impossible"  # the provider offers no lookup (or refuses ours): wait for its events


@dataclass(frozen=True)
class LookupResult:
    """What the provider said about one message; ``provider_message_id`` is the id its events use ("" if unknown)."""

    outcome: LookupOutcome
    provider: str
    detail: str
    provider_message_id: str = ""


class MessageLookup(Protocol):
    """Finds one message at its provider by our own id (the ``message_id`` metadata every message carries)."""

    def lookup(self, message: Message) -> LookupResult: ...


@dataclass(frozen=True)
class NoLookup:
    """A provider with nothing to ask: only its events (or a person) can settle an unknown outcome."""

    provider: str
    why: str

    def lookup(self, message: Message) -> LookupResult:
        return LookupResult(outcome=LookupOutcome.IMPOSSIBLE, provider=self.provider, detail=self.why)


def lookup_timeout() -> httpx.Timeout:
    """Every lookup call is bounded: a slow provider delays one sweep, never blocks it."""
    seconds = float(settings.NOTIFICATIONS_RECONCILE_LOOKUP_TIMEOUT_SECONDS)
    return httpx.Timeout(seconds, connect=min(5.0, seconds))
