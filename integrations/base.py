"""The one interface every shop platform module implements; the base types HTTP failures in plain words.

A platform module (``baselinker``, ``shopify``, ``woocommerce``) knows its wire format and nothing
of Django: it gets ``Credentials`` and an injected ``httpx.Client`` (with timeouts; SSRF-safe where
the URL is the shop's), and returns ``OrderData`` / ``WebhookEvent`` or raises ``ConnectorError``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from integrations.types import ConnectorError, Credentials, ErrorKind, OrderData, ParcelRef, PollBatch, WebhookEvent


class Connector:
    """Base of the platform modules: subclasses fill in the calls their platform supports."""

    platform: ClassVar[str] = ""
    display_name: ClassVar[str] = ""  # how owners read the platform's name in messages
    # Pollers (BaseLinker's journal, WooCommerce's REST back-fill) run on the beat; webhook-only ones do not.
    polls: ClassVar[bool] = False
    supports_write_back: ClassVar[bool] = False
    # Can read one order by id (Shopify's Admin API): parcels whose order never came by webhook are fetched.
    fetches_orders: ClassVar[bool] = False
    # How long the platform keeps what a cursor points into (BaseLinker's journal: three days); None = forever.
    cursor_lifetime: ClassVar[timedelta | None] = None

    def __init__(self, *, credentials: Credentials, client: httpx.Client | None, timeout: float = 10.0) -> None:
        self.credentials = credentials
        self.client = client
        self.timeout = timeout

    def test(self) -> str:
        """Call the platform with the credentials; plain words of what was found, or ConnectorError."""
        raise NotImplementedError

    def poll(self, *, cursor: str, since: datetime) -> PollBatch:
        """Orders changed after ``cursor`` (empty: the first import, from ``since``) and the next cursor."""
        return PollBatch(cursor=cursor)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether the webhook's signature is the platform's for this connection's secret (constant time)."""
        return False

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The orders a verified webhook carries; ConnectorError(MALFORMED) when unreadable."""
        raise ConnectorError(ErrorKind.MALFORMED, f"{self.display_name} sends no webhooks we read")

    def fetch_order(self, platform_order_id: str) -> OrderData | None:
        """One order as the platform has it now; None when it is gone."""
        raise ConnectorError(ErrorKind.SETUP, f"{self.display_name} cannot be asked for one order")

    def write_back_delivered(self, parcel: ParcelRef) -> None:
        """Tell the platform the parcel was delivered."""
        raise ConnectorError(ErrorKind.SETUP, f"{self.display_name} does not take a delivered state back")

    # Shared plumbing.

    def send(self, method: str, url: str, *, missing_ok: bool = False, **kwargs: Any) -> httpx.Response:
        """One HTTP call with this connector's timeout; transport failures and 401/403/429/5xx typed.

        ``missing_ok``: a 404 is returned to the caller (a deleted order) instead of raised.
        """
        if self.client is None:
            raise ConnectorError(ErrorKind.SETUP, f"no HTTP client to reach {self.display_name} with")
        try:
            response = self.client.request(method, url, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException as error:
            raise ConnectorError(ErrorKind.TRANSIENT, f"{self.display_name} did not answer in time") from error
        except httpx.HTTPError as error:
            raise ConnectorError(ErrorKind.TRANSIENT, f"could not reach {self.display_name}: {error}") from error
        if response.status_code in (401, 403):
            raise ConnectorError(
                ErrorKind.AUTH,
                f"{self.display_name} refused the credentials (HTTP {response.status_code}); enter new ones",
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise ConnectorError(ErrorKind.TRANSIENT, f"{self.display_name} is busy (HTTP {response.status_code})")
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code == 404:
            raise ConnectorError(ErrorKind.SETUP, f"{self.display_name} says the address does not exist: {url}")
        if response.status_code >= 400:
            raise ConnectorError(
                ErrorKind.MALFORMED, f"{self.display_name} refused the request (HTTP {response.status_code})"
            )
        return response

    @staticmethod
    def json_of(response: httpx.Response, platform: str) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise ConnectorError(ErrorKind.MALFORMED, f"{platform} answered something that is not JSON") from error


# What reading an unexpected document can raise; a platform module turns these into one MALFORMED error.
SHAPE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError)


def quantity_of(value: Any) -> int:
    """A line's quantity as a whole number of at least one ("2", 2.0 and 2 alike)."""
    return max(1, int(float(value or 1)))


def base64_hmac_matches(secret: str, body: bytes, given: str) -> bool:
    """Whether ``given`` is base64(HMAC-SHA256(secret, body)), compared in constant time; no secret never matches."""
    if not secret or not given:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, given.strip().encode())
