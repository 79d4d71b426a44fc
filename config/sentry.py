"""Error tracking with Sentry, on only when ``SENTRY_DSN`` is set: exceptions of web requests and Celery tasks,
never a customer's personal data.

``send_default_pii=False`` keeps users' IPs, cookies and bodies out; ``event_scrubber`` drops values under
secret-looking keys; ``scrub_event`` (``before_send``) masks emails, phone numbers, link tokens and keys in
every remaining string — messages, exception texts, local variables, breadcrumbs, URLs — and keeps only
the user's id.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from config.redaction import mask_value

# Keys whose values never leave the process, on top of Sentry's own list (password, secret, token, ...).
EXTRA_DENYLIST = ["customer_email", "to_email", "email", "phone", "customer_phone", "raw_key", "api_key", "key_hash"]


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send``/``before_send_transaction``: every string masked, the user reduced to an id."""
    user = event.get("user") or {}
    event = mask_value(event)
    event["user"] = {"id": user["id"]} if "id" in user else {}
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options: Any) -> None:
    """Start the Sentry client for this process (web or worker); ``options`` reach ``sentry_sdk.init`` (tests: a transport)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *EXTRA_DENYLIST], recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=lambda crumb, hint: mask_value(crumb),
        traces_sample_rate=traces_sample_rate,
        **options,
    )
