"""Looking a message up at its ESP by the ``message_id`` metadata we put on every email: thin httpx calls.

* Postmark: outbound message search, ``GET /messages/outbound?recipient=...&metadata_message_id=...``;
  the ``MessageID`` it returns is the id its webhooks use.
* Mailgun: the events API, ``GET /v3/<domain>/events?recipient=...&event=accepted&begin=...``, matched
  on the ``user-variables`` anymail sets from our metadata. Mailgun's events are only complete after
  about half an hour, so an earlier "nothing" is not yet a confirmed absence.
* SendGrid: the Email Activity API (a paid add-on), ``GET /v3/messages?query=to_email="..." AND
  unique_args['message_id']="..."``. Its ``msg_id`` is not the id anymail's webhooks report, so a
  found message keeps an empty ESP id and its next event fills it in (matched by our metadata).
* Amazon SES: no message search; its event stream (SNS) is the only source, so no lookup.

Credentials and API URLs come from the same anymail backend that sends (``settings.ANYMAIL`` for the
platform, the shop's own keys and the provider's official URL for a shop's ESP).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import httpx
from anymail.exceptions import AnymailError
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications.lookup import LookupOutcome, LookupResult, MessageLookup, NoLookup, lookup_timeout
from notifications.models import Message, MessageChannel
from notifications.selectors import notification_settings_for
from notifications.shop_esp import ShopEspInvalid, shop_esp_connection
from notifications.sms.gateway import SmsGatewayInvalid, sms_backend_for

logger = logging.getLogger(__name__)

# Mailgun documents its event storage as complete for a time range only once it is ~30 minutes old.
MAILGUN_EVENTS_SETTLE = timedelta(minutes=30)
MAILGUN_PAGE = 300


class EspLookup:
    """One ESP's search over HTTP: builds the request, reads the answer; the base class handles failures."""

    provider = ""

    def __init__(self, *, client: httpx.Client | None = None) -> None:
        self.client = client

    def lookup(self, message: Message) -> LookupResult:
        try:
            if self.client is not None:
                return self.search(self.client, message)
            with httpx.Client(timeout=lookup_timeout(), follow_redirects=False, trust_env=False) as client:
                return self.search(client, message)
        except httpx.HTTPStatusError as error:
            return self._refused(error.response.status_code)
        except (httpx.TransportError, ValueError, KeyError, TypeError) as error:
            # No answer, or one we cannot read: nothing is known yet, ask again on a later sweep.
            return self.result(LookupOutcome.UNAVAILABLE, f"no usable answer ({type(error).__name__})")

    def search(self, client: httpx.Client, message: Message) -> LookupResult:
        raise NotImplementedError

    def result(self, outcome: LookupOutcome, detail: str, provider_message_id: str = "") -> LookupResult:
        return LookupResult(
            outcome=outcome,
            provider=self.provider,
            detail=f"{self.provider}: {detail}",
            provider_message_id=provider_message_id[:200],
        )

    def _refused(self, status_code: int) -> LookupResult:
        if status_code == 429 or status_code >= 500:
            return self.result(LookupOutcome.UNAVAILABLE, f"the search answered HTTP {status_code}")
        # Wrong credentials, a missing add-on or permission: no lookup until someone fixes the account.
        return self.result(LookupOutcome.IMPOSSIBLE, f"the search refused us (HTTP {status_code})")


def _ours(metadata: Any, message: Message) -> bool:
    return (
        isinstance(metadata, dict)
        and str(metadata.get("message_id", "")) == str(message.pk)
        and str(metadata.get("shop_id", "")) == str(message.shop_id)
    )


class PostmarkLookup(EspLookup):
    provider = "Postmark"

    def __init__(self, *, api_url: str, server_token: str, client: httpx.Client | None = None) -> None:
        super().__init__(client=client)
        self.api_url, self.server_token = api_url, server_token

    def search(self, client: httpx.Client, message: Message) -> LookupResult:
        response = client.get(
            f"{self.api_url}messages/outbound",
            params={
                "count": 50,
                "offset": 0,
                "recipient": message.to_email,
                "metadata_message_id": str(message.pk),
            },
            headers={"Accept": "application/json", "X-Postmark-Server-Token": self.server_token},
        )
        response.raise_for_status()
        found = [item for item in response.json()["Messages"] if _ours(item.get("Metadata"), message)]
        if found:
            return self.result(LookupOutcome.FOUND, f"message {found[0]['MessageID']} found", found[0]["MessageID"])
        return self.result(LookupOutcome.ABSENT, "no outbound message carries our id")


class MailgunLookup(EspLookup):
    provider = "Mailgun"

    def __init__(self, *, api_url: str, api_key: str, domain: str, client: httpx.Client | None = None) -> None:
        super().__init__(client=client)
        self.api_url, self.api_key, self.domain = api_url, api_key, domain

    def search(self, client: httpx.Client, message: Message) -> LookupResult:
        handed = message.handed_to_esp_at or message.unknown_since or message.created_at
        response = client.get(
            f"{self.api_url}{self.domain}/events",
            params={
                "event": "accepted",
                "recipient": message.to_email,
                "begin": int((handed - timedelta(minutes=5)).timestamp()),
                "ascending": "yes",
                "limit": MAILGUN_PAGE,
            },
            auth=("api", self.api_key),
        )
        response.raise_for_status()
        items = response.json()["items"]
        for item in items:
            if _ours(item.get("user-variables"), message):
                mailgun_id = str(item.get("message", {}).get("headers", {}).get("message-id", ""))
                # anymail records Mailgun's id in angle brackets, as the send API returns it.
                esp_id = f"<{mailgun_id}>" if mailgun_id else ""
                return self.result(LookupOutcome.FOUND, f"accepted event {item.get('id', '')} found", esp_id)
        if len(items) >= MAILGUN_PAGE:
            return self.result(LookupOutcome.UNAVAILABLE, "too many events for this recipient to confirm absence")
        if timezone.now() - handed < MAILGUN_EVENTS_SETTLE:
            return self.result(LookupOutcome.UNAVAILABLE, "no accepted event yet; events settle after 30 minutes")
        return self.result(LookupOutcome.ABSENT, "no accepted event carries our id")


class SendGridLookup(EspLookup):
    provider = "SendGrid"

    def __init__(self, *, api_url: str, api_key: str, client: httpx.Client | None = None) -> None:
        super().__init__(client=client)
        self.api_url, self.api_key = api_url, api_key

    def search(self, client: httpx.Client, message: Message) -> LookupResult:
        recipient = message.to_email.replace('"', "")
        query = f'to_email="{recipient}" AND unique_args[\'message_id\']="{message.pk}"'
        response = client.get(
            f"{self.api_url}messages",
            params={"limit": 10, "query": query},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        response.raise_for_status()
        found = response.json()["messages"]
        if found:
            return self.result(LookupOutcome.FOUND, f"activity {found[0]['msg_id']} ({found[0].get('status', '')})")
        return self.result(LookupOutcome.ABSENT, "no email activity carries our id")


def _sender_domain(backend: Any, message: Message) -> str:
    domain = getattr(backend, "sender_domain", None)
    if domain:
        return str(domain)
    return parseaddr(message.shop.from_email)[1].rpartition("@")[2]


# By anymail's ``esp_name``: how to build the lookup from the configured (not opened) backend.
ADAPTERS: dict[str, Callable[[Any, Message, httpx.Client | None], MessageLookup]] = {
    "Postmark": lambda backend, message, client: PostmarkLookup(
        api_url=backend.api_url, server_token=backend.server_token, client=client
    ),
    "Mailgun": lambda backend, message, client: MailgunLookup(
        api_url=backend.api_url, api_key=backend.api_key, domain=_sender_domain(backend, message), client=client
    ),
    "SendGrid": lambda backend, message, client: SendGridLookup(
        api_url=backend.api_url, api_key=backend.api_key, client=client
    ),
    "Amazon SES": lambda backend, message, client: NoLookup(
        provider="Amazon SES", why="Amazon SES has no message search; its event stream settles the outcome"
    ),
}


def message_lookup_for(*, message: Message, client: httpx.Client | None = None) -> MessageLookup:
    """The lookup of the backend that sent ``message``: the shop's own ESP, the platform's, or its channel's.

    Email goes through the shop's ESP when it has one, else ``EMAIL_BACKEND``; another channel through
    ``<CHANNEL>_BACKEND`` (e.g. ``SMS_BACKEND``), whose class offers ``lookup(message)`` when it can.
    """
    if message.channel == MessageChannel.EMAIL:
        conf = notification_settings_for(shop=message.shop)
        if conf.esp_provider:
            try:
                backend = shop_esp_connection(provider=conf.esp_provider, options=conf.esp_secret_options)
            except ShopEspInvalid as error:
                return NoLookup(provider=conf.esp_provider, why=str(error))
            return _adapted(backend, message=message, client=client)
        backend_path = settings.EMAIL_BACKEND
    elif message.channel == MessageChannel.SMS:
        # The gateway this shop's SMS go through; one without a lookup leaves it to delivery reports and the
        # quiet period (a resend to SMSAPI meets check_idx, so it cannot double).
        try:
            return _adapted(sms_backend_for(shop=message.shop), message=message, client=client)
        except SmsGatewayInvalid as error:
            return NoLookup(provider="sms", why=str(error))
    else:
        backend_path = str(getattr(settings, f"{message.channel.upper()}_BACKEND", ""))
    if not backend_path:
        return NoLookup(provider=message.channel, why=f"No {message.channel} backend is configured")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # anymail warns on SendGrid's unofficial status at every init
            backend = import_string(backend_path)()
    except (ImportError, AnymailError) as error:
        return NoLookup(provider=backend_path, why=f"The backend cannot be built: {type(error).__name__}")
    return _adapted(backend, message=message, client=client)


def _adapted(backend: Any, *, message: Message, client: httpx.Client | None) -> MessageLookup:
    if callable(getattr(backend, "lookup", None)):
        return backend  # our own backends (the outbox, SMS gateways) look messages up themselves
    name = str(getattr(backend, "esp_name", type(backend).__name__))
    adapter = ADAPTERS.get(name)
    if adapter is None:
        return NoLookup(provider=name, why=f"{name} offers no message lookup here; its events settle the outcome")
    return adapter(backend, message, client)
