"""SMS backends behind one small interface (django-anymail's pattern): the database outbox, SMSAPI.pl and Twilio.

The base class orchestrates the HTTP call and types its failures; each gateway only builds its request
and reads its answer. What a failure means for resending:

* :class:`SmsTransient` — the gateway provably did not take the SMS (no connection, HTTP 5xx or 429):
  retry with backoff;
* :class:`SmsNoAnswer` — the request may have arrived (read timeout, dropped connection): only an
  idempotent backend may be asked again (SMSAPI with ``idx`` + ``check_idx``; the outbox by our key);
* :class:`SmsRefused` — the gateway said no (bad number, opted out, bad credentials): never retried.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import IntegrityError, transaction

from carriers.base import parse_retry_after
from notifications.lookup import LookupOutcome, LookupResult
from notifications.sms.gsm import sms_length
from notifications.sms.http import SmsDestinationRefused
from notifications.sms.models import OutboxSms

# SMSAPI's answer to a repeated idx under check_idx=1: the first request was taken, nothing new is sent.
SMSAPI_DUPLICATE_IDX = 105
# Twilio error codes: the recipient replied STOP (21610); the number cannot receive SMS (21211, 21614, 21408).
TWILIO_OPTED_OUT = 21610
TWILIO_BAD_NUMBER = frozenset({21211, 21614, 21408})


@dataclass(frozen=True)
class SmsRequest:
    """One SMS to hand to a gateway: E.164 recipient, text, sender and our reference (the idempotency key)."""

    to: str
    body: str
    sender: str
    reference: str
    callback_url: str = ""
    shop_id: int | None = None


@dataclass(frozen=True)
class SmsAccepted:
    """The gateway took the SMS: its id (empty when it only confirmed an earlier hand-over) and segments."""

    provider_message_id: str
    segments: int | None = None


class SmsGatewayError(Exception):
    """A gateway call that did not end with an accepted SMS."""


class SmsTransient(SmsGatewayError):
    """The gateway did not take the SMS and may later (no connection, 5xx, 429)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class SmsNoAnswer(SmsGatewayError):
    """The request may have reached the gateway, but no answer came back."""


class SmsRefused(SmsGatewayError):
    """The gateway refused the SMS for good; ``opted_out`` when the recipient asked to receive none."""

    def __init__(self, reason: str, *, opted_out: bool = False, bad_number: bool = False) -> None:
        super().__init__(reason)
        self.opted_out = opted_out
        self.bad_number = bad_number


def sms_reference(*, shop_id: int, message_id: int) -> str:
    """Our reference of an SMS (SMSAPI ``idx``, the outbox key): names the shop and the message."""
    return f"pf-{shop_id}-{message_id}"


class SmsBackend:
    """Sends one SMS; ``idempotent`` when handing the same reference over twice sends it once."""

    name = ""
    idempotent = False
    shop_owned = False  # a shop's own account: its error texts stay out of Message.reason

    def send(self, request: SmsRequest) -> SmsAccepted:
        raise NotImplementedError


class OutboxSmsBackend(SmsBackend):
    """Stores each SMS as an ``OutboxSms`` row (the embedded default), once per reference."""

    name = "Outbox"
    idempotent = True

    def send(self, request: SmsRequest) -> SmsAccepted:
        length = sms_length(request.body)
        try:
            with transaction.atomic():
                stored = OutboxSms.objects.create(
                    shop_id=request.shop_id,
                    provider_message_id=str(uuid.uuid4()),
                    idempotency_key=request.reference,
                    to=request.to,
                    sender=request.sender,
                    body=request.body,
                    encoding=length.encoding,
                    segments=length.segments,
                )
        except IntegrityError:
            stored = OutboxSms.objects.get(idempotency_key=request.reference)
        return SmsAccepted(provider_message_id=stored.provider_message_id, segments=stored.segments)

    def lookup(self, message: Any) -> LookupResult:
        """Reconciliation asks whether the outbox has this message's SMS (by our reference)."""
        reference = sms_reference(shop_id=message.shop_id, message_id=message.pk)
        stored = OutboxSms.objects.filter(idempotency_key=reference).values_list("provider_message_id", flat=True)
        found = stored.first()
        if found is None:
            return LookupResult(outcome=LookupOutcome.ABSENT, provider=self.name, detail="not in the SMS outbox")
        return LookupResult(
            outcome=LookupOutcome.FOUND,
            provider=self.name,
            detail="stored in the SMS outbox",
            provider_message_id=found,
        )


class HttpSmsBackend(SmsBackend):
    """A gateway over HTTP: the base sends and types failures, subclasses build the request and read the answer."""

    def __init__(
        self, *, base_url: str, options: dict[str, Any], client: httpx.Client, shop_owned: bool = False
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self.options = options
        self.client = client
        self.shop_owned = shop_owned

    def build_request(self, request: SmsRequest) -> httpx.Request:
        raise NotImplementedError

    def parse_response(self, response: httpx.Response) -> SmsAccepted:
        raise NotImplementedError

    def send(self, request: SmsRequest) -> SmsAccepted:
        http_request = self.build_request(request)
        try:
            response = self.client.send(http_request)
        except SmsDestinationRefused as error:
            raise SmsRefused(f"The gateway address was refused ({error})") from error
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise SmsTransient(f"Could not connect to {self.name}: {type(error).__name__}") from error
        except httpx.TransportError as error:
            raise SmsNoAnswer(f"No answer from {self.name}: {type(error).__name__}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsTransient(f"{self.name} answered HTTP {response.status_code}", retry_after=_retry_after(response))
        return self.parse_response(response)


class SmsapiBackend(HttpSmsBackend):
    """SMSAPI.pl: ``POST /sms.do`` with ``format=json``; ``idx`` + ``check_idx`` make a repeat harmless."""

    name = "SMSAPI"
    idempotent = True

    def build_request(self, request: SmsRequest) -> httpx.Request:
        form = {
            "to": request.to.removeprefix("+"),
            "message": request.body,
            "format": "json",
            "encoding": "utf-8",
            "idx": request.reference,
            "check_idx": "1",
        }
        if request.sender:
            form["from"] = request.sender
        if request.callback_url:
            form["notify_url"] = request.callback_url
        return self.client.build_request(
            "POST",
            f"{self.base_url}sms.do",
            data=form,
            headers={"Authorization": f"Bearer {self.options.get('token', '')}"},
        )

    def parse_response(self, response: httpx.Response) -> SmsAccepted:
        body = _json(response)
        error = body.get("error")
        if error is not None or response.status_code >= 400:
            code = _int(error)
            if code == SMSAPI_DUPLICATE_IDX:
                return SmsAccepted(provider_message_id="")
            detail = "" if self.shop_owned else f": {str(body.get('message', ''))[:200]}"
            raise SmsRefused(f"SMSAPI refused the SMS (error {code}, HTTP {response.status_code}){detail}")
        items = body.get("list") or [{}]
        first = items[0] if isinstance(items[0], dict) else {}
        if not first.get("id"):
            raise SmsNoAnswer("SMSAPI answered without a message id")
        return SmsAccepted(provider_message_id=str(first["id"])[:200], segments=_int(first.get("parts")))


class TwilioBackend(HttpSmsBackend):
    """Twilio: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with a status callback; not idempotent."""

    name = "Twilio"

    def build_request(self, request: SmsRequest) -> httpx.Request:
        sid = self.options.get("account_sid", "")
        credentials = base64.b64encode(f"{sid}:{self.options.get('auth_token', '')}".encode()).decode()
        form = {"To": request.to, "Body": request.body}
        service = self.options.get("messaging_service_sid", "")
        if service:
            form["MessagingServiceSid"] = service
        if request.sender:
            form["From"] = request.sender
        if not (service or request.sender):
            raise SmsRefused("Twilio needs a sender name or a messaging service")
        if request.callback_url:
            form["StatusCallback"] = request.callback_url
        return self.client.build_request(
            "POST",
            f"{self.base_url}2010-04-01/Accounts/{sid}/Messages.json",
            data=form,
            headers={"Authorization": f"Basic {credentials}"},
        )

    def parse_response(self, response: httpx.Response) -> SmsAccepted:
        body = _json(response)
        if response.status_code >= 400:
            code = _int(body.get("code"))
            detail = "" if self.shop_owned else f": {str(body.get('message', ''))[:200]}"
            raise SmsRefused(
                f"Twilio refused the SMS (error {code}, HTTP {response.status_code}){detail}",
                opted_out=code == TWILIO_OPTED_OUT,
                bad_number=code in TWILIO_BAD_NUMBER,
            )
        if not body.get("sid"):
            raise SmsNoAnswer("Twilio answered without a message sid")
        return SmsAccepted(provider_message_id=str(body["sid"])[:200], segments=_int(body.get("num_segments")))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))
