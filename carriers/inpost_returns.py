"""A thin client for the InPost Returns API ("Szybkie Zwroty"), separate from ShipX and its tracking.

``POST {base}/v1/returns/tickets`` creates a return ticket and answers with the ``return_code`` the
customer types at any Paczkomat, a label URL, the return parcel's tracking number and the code's expiry.
The API has its own OAuth2 client-credentials token (``POST {base}/oauth2/token``), cached on the client
until shortly before it expires. Every call has a timeout; failures become typed errors so the caller
decides whether to retry (``InPostReturnsUnavailable``) or give up (``InPostReturnsRejected``). The
payload shapes follow the recorded fixtures in ``tests/fixtures/carriers/inpost_returns/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

# Renew the token this long before its announced expiry, so it never dies between fetch and use.
_EXPIRY_MARGIN_SECONDS = 60.0


class InPostReturnsError(Exception):
    """The Returns API did not issue a code."""


class InPostReturnsUnavailable(InPostReturnsError):
    """A transient failure (timeout, connection error, 5xx, 429): the same request may succeed later."""


class InPostReturnsRejected(InPostReturnsError):
    """The API refused the request (4xx, bad credentials, malformed answer): retrying will not help."""


@dataclass(frozen=True)
class ReturnTicket:
    """What the Returns API issued for one return."""

    ticket_id: str
    return_code: str
    label_url: str
    tracking_number: str
    expires_at: datetime | None


@dataclass(frozen=True)
class TicketRequest:
    """The customer and parcel a return code is asked for."""

    reference: str
    email: str
    phone: str
    size: str = "A"


class InPostReturnsClient:
    """Issue return tickets through an injected ``httpx.Client`` (its transport is the test seam)."""

    def __init__(
        self, *, base_url: str, client_id: str, client_secret: str, client: httpx.Client, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.client = client
        self.timeout = timeout
        self.clock: Callable[[], float] = time.monotonic
        self._token = ""
        self._token_expires_at = 0.0

    def ticket_create(self, request: TicketRequest) -> ReturnTicket:
        """Create a return ticket; a refused cached token is renewed once."""
        body = {
            "reference": request.reference,
            "sender": {"email": request.email, "phone": request.phone},
            "parcel": {"size": request.size},
        }
        response = self._post_with_token("/v1/returns/tickets", body)
        if response.status_code in (401, 403):
            self._token = ""
            response = self._post_with_token("/v1/returns/tickets", body)
        return _ticket_from(_checked(response))

    def _post_with_token(self, path: str, body: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._access_token()}", "Accept": "application/json"}
        return self._send("POST", path, json=body, headers=headers)

    def _access_token(self) -> str:
        if self._token and self.clock() < self._token_expires_at:
            return self._token
        response = self._send(
            "POST",
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        answer = _checked(response)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise InPostReturnsRejected("The token answer has no access_token")
        lifetime = float(answer.get("expires_in") or 300)
        self._token = token
        self._token_expires_at = self.clock() + max(0.0, lifetime - _EXPIRY_MARGIN_SECONDS)
        return token

    def _send(self, method: str, path: str, **options) -> httpx.Response:  # type: ignore[no-untyped-def]
        try:
            return self.client.request(method, f"{self.base_url}{path}", timeout=self.timeout, **options)
        except httpx.TimeoutException as error:
            raise InPostReturnsUnavailable(f"InPost Returns timed out: {error}") from error
        except httpx.TransportError as error:
            raise InPostReturnsUnavailable(f"InPost Returns unreachable: {error}") from error


def _checked(response: httpx.Response) -> dict:
    if response.status_code == 429 or response.status_code >= 500:
        raise InPostReturnsUnavailable(f"InPost Returns answered {response.status_code}")
    if response.status_code >= 400:
        raise InPostReturnsRejected(
            f"InPost Returns refused the request ({response.status_code}): {_message(response)}"
        )
    try:
        answer = response.json()
    except ValueError as error:
        raise InPostReturnsRejected("InPost Returns answered with something other than JSON") from error
    if not isinstance(answer, dict):
        raise InPostReturnsRejected("InPost Returns answered with an unexpected shape")
    return answer


def _message(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text[:200]
    return str(answer.get("message") or answer.get("error") or answer)[:200] if isinstance(answer, dict) else ""


def _ticket_from(answer: dict) -> ReturnTicket:
    code = answer.get("return_code")
    if not isinstance(code, str) or not code:
        raise InPostReturnsRejected("The ticket answer has no return_code")
    expires = answer.get("expires_at")
    try:
        expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) and expires else None
    except ValueError as error:
        raise InPostReturnsRejected(f"The ticket's expires_at is not a date: {expires!r}") from error
    return ReturnTicket(
        ticket_id=str(answer.get("id") or ""),
        return_code=code,
        label_url=str(answer.get("label_url") or ""),
        tracking_number=str(answer.get("tracking_number") or ""),
        expires_at=expires_at,
    )
