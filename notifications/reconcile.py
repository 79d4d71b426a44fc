"""Settling messages whose outcome is unknown (the provider may or may not have taken them), so none is lost or doubled.

A message becomes ``unknown`` when its worker was lost during the provider call or the call got no
answer (``notifications.sending``). The sweeper (beat) asks the provider through its lookup
(``notifications.esp_lookups``), once the hand-over is old enough for the provider's search to show it:

* found -> ``sent`` with the provider's id;
* confirmed absent -> queued again, so it is sent once more (the provider said it never had it);
* no lookup, or no answer -> wait for a quiet period; a provider event in it settles the message
  (``notifications.esp_events``); without one it is queued again, once. After that, or past the
  maximum age, it is left for a person: the admin shows it and the daily digest lists it.

A person may settle it too ("mark as sent", "resend"): audited in the shop's log. Every decision, the
sweeper's and a person's, is written on the message: when, who, what and why.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.http import HttpRequest
from django.utils import timezone

from notifications.esp_lookups import message_lookup_for
from notifications.lookup import LookupOutcome, LookupResult
from notifications.models import Message, MessageStatus, Reconciliation
from notifications.selectors import messages_to_reconcile
from shops.audit import audit_record
from shops.models import AuditAction

SWEEPER = "reconciliation sweeper"


def lookup_after() -> timedelta:
    return timedelta(seconds=float(settings.NOTIFICATIONS_RECONCILE_LOOKUP_AFTER_SECONDS))


def quiet_period() -> timedelta:
    return timedelta(seconds=float(settings.NOTIFICATIONS_RECONCILE_QUIET_SECONDS))


def max_age() -> timedelta:
    return timedelta(seconds=float(settings.NOTIFICATIONS_RECONCILE_MAX_AGE_SECONDS))


def messages_reconcile(
    *, now: datetime | None = None, client: httpx.Client | None = None, limit: int = 100, budget_seconds: float = 30.0
) -> dict[str, int]:
    """Beat: look up each unknown message old enough to ask about and settle it; counts per decision.

    Bounded by ``limit`` and a time budget: a provider that times out delays the rest to the next tick.
    """
    now = now or timezone.now()
    started = time.monotonic()
    counts: Counter[str] = Counter()
    for message in messages_to_reconcile(unknown_before=now - lookup_after(), limit=limit).select_related("shop"):
        if time.monotonic() - started > budget_seconds:
            counts["postponed"] += 1
            continue
        counts[message_reconcile(message=message, now=now, client=client)] += 1
    return dict(counts)


def message_reconcile(*, message: Message, now: datetime | None = None, client: httpx.Client | None = None) -> str:
    """Settle one unknown message from what its provider says; the decision taken ("waiting" when none yet)."""
    now = now or timezone.now()
    result = message_lookup_for(message=message, client=client).lookup(message)
    if result.outcome == LookupOutcome.FOUND:
        return _settle_found(message=message, result=result, now=now)
    if result.outcome == LookupOutcome.ABSENT:
        if _too_old(message, now):
            return _leave(message=message, now=now, why=f"{result.detail}; too old to resend on our own")
        return _requeue(message=message, now=now, decision=Reconciliation.ABSENT_RESENT, why=result.detail)
    anchor = message.unknown_since or message.updated_at
    if now - anchor < quiet_period():
        return "waiting"
    if message.events.exists():
        why = f"{result.detail}; the provider reported events but none proves it took the email"
        return _leave(message=message, now=now, why=why)
    if message.resent_blind_at is not None:
        return _leave(message=message, now=now, why=f"{result.detail}; already resent once without a lookup")
    if _too_old(message, now):
        return _leave(message=message, now=now, why=f"{result.detail}; too old to resend on our own")
    why = f"{result.detail}; no provider event within {_hours(quiet_period())}"
    return _requeue(message=message, now=now, decision=Reconciliation.QUIET_RESENT, why=why, resent_blind_at=now)


def message_mark_sent(
    *, message: Message, actor: AbstractBaseUser | AnonymousUser, request: HttpRequest | None = None
) -> bool:
    """A person knows the unknown message arrived: record it as sent (audited); False when it is not unknown."""
    now = timezone.now()
    done = _decide(
        message=message,
        now=now,
        actor=_label(actor),
        decision=Reconciliation.MARKED_SENT,
        why="a person confirmed it arrived",
        status=MessageStatus.SENT,
        sent_at=message.handed_to_esp_at or now,
        reason="",
    )
    if done:
        audit_record(
            shop=message.shop,
            actor=actor,
            action=AuditAction.MESSAGE_MARKED_SENT,
            target=_target(message),
            request=request,
        )
    return done


def message_resend(
    *, message: Message, actor: AbstractBaseUser | AnonymousUser, request: HttpRequest | None = None
) -> bool:
    """A person knows the unknown message never arrived: send it again (audited); False when it is not unknown."""
    now = timezone.now()
    done = _decide(
        message=message,
        now=now,
        actor=_label(actor),
        decision=Reconciliation.RESENT_MANUALLY,
        why="a person asked to send it again",
        **_requeue_changes(now=now, why="resent by a person"),
    )
    if done:
        audit_record(
            shop=message.shop, actor=actor, action=AuditAction.MESSAGE_RESENT, target=_target(message), request=request
        )
    return done


def _settle_found(*, message: Message, result: LookupResult, now: datetime) -> str:
    changes = {"status": MessageStatus.SENT, "sent_at": message.handed_to_esp_at or now, "reason": ""}
    changes["esp_name"] = result.provider[:40]
    if result.provider_message_id:
        changes["esp_message_id"] = result.provider_message_id
    _decide(message=message, now=now, actor=SWEEPER, decision=Reconciliation.FOUND, why=result.detail, **changes)
    return Reconciliation.FOUND.value


def _requeue(*, message: Message, now: datetime, decision: Reconciliation, why: str, **extra: object) -> str:
    changes = {**_requeue_changes(now=now, why=why), **extra}
    _decide(message=message, now=now, actor=SWEEPER, decision=decision, why=why, **changes)
    return decision.value


def _requeue_changes(*, now: datetime, why: str) -> dict[str, object]:
    # Released at once by the next release tick (no lease), handed over afresh by message_send.
    return {
        "status": MessageStatus.QUEUED,
        "send_after": now,
        "released_at": None,
        "handed_to_esp_at": None,
        "reason": f"Sent again after reconciliation: {why}"[:2000],
    }


def _leave(*, message: Message, now: datetime, why: str) -> str:
    _decide(message=message, now=now, actor=SWEEPER, decision=Reconciliation.LEFT_FOR_A_PERSON, why=why)
    return Reconciliation.LEFT_FOR_A_PERSON.value


def _decide(
    *, message: Message, now: datetime, actor: str, decision: Reconciliation, why: str, **changes: object
) -> bool:
    """Apply one decision if the message is still the same unknown outcome, and write it on the message."""
    line = f"{now:%Y-%m-%d %H:%M:%S} UTC, {actor}: {decision.label} ({why})\n"
    # Conditional on the same unknown episode: a concurrent event, sweep or person may have settled it.
    return bool(
        Message.objects.filter(pk=message.pk, status=MessageStatus.UNKNOWN, unknown_since=message.unknown_since).update(
            reconciliation=decision,
            reconciled_at=now,
            reconciled_by=actor[:254],
            reconciliation_log=Concat(F("reconciliation_log"), Value(line[:2000])),
            updated_at=now,
            **changes,
        )
    )


def event_settled_changes(*, event_type: str, now: datetime) -> dict[str, object]:
    """The fields that record a provider event settling an unknown message as sent (for ``esp_events``)."""
    line = f"{now:%Y-%m-%d %H:%M:%S} UTC, provider event: {Reconciliation.EVENT.label} ({event_type})\n"
    return {
        "reconciliation": Reconciliation.EVENT,
        "reconciled_at": now,
        "reconciled_by": "provider event",
        "reconciliation_log": Concat(F("reconciliation_log"), Value(line)),
    }


def _too_old(message: Message, now: datetime) -> bool:
    return now - message.created_at > max_age()


def _hours(period: timedelta) -> str:
    return f"{period.total_seconds() / 3600:g} h"


def _label(actor: AbstractBaseUser | AnonymousUser) -> str:
    return actor.get_username() if actor.is_authenticated else "anonymous"


def _target(message: Message) -> str:
    return f"message {message.pk}: {message}"
