"""OAuth 2.0 client-credentials tokens for carrier adapters (UPS, FedEx, GLS).

A mixin, not an adapter: the leading underscore keeps the registry from importing this module as
one. The token is fetched through the adapter's own `make_request`/`send`, so it goes through the
injected client with the configured timeout, and a rejected token call becomes an `auth` error for
every number of the chunk like any other `CarrierFailure`.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

import httpx

from carriers.base import CarrierAdapter, Outcome
from carriers.types import CarrierConfig, CarrierFailure, ErrorKind, MalformedResponse, TrackingError

# Renew this long before the announced expiry, so a token never dies between fetch and use.
_EXPIRY_MARGIN_SECONDS = 60.0
# RFC 6749 only recommends `expires_in`; without it, trust the token briefly rather than forever.
_DEFAULT_LIFETIME_SECONDS = 300.0


class OAuthClientCredentials(CarrierAdapter):
    """Adds a cached client-credentials bearer token to an adapter.

    Credentials: `config.username` is the client id, `config.password` the client secret. The token
    lives on the adapter instance until shortly before it expires. A tracking call answered 401/403
    with a cached token drops it and retries once with a fresh one (carriers revoke tokens early).
    """

    oauth_endpoint: ClassVar[str]
    # False: client id/secret in a Basic Authorization header (UPS, GLS); True: in the form (FedEx).
    credentials_in_body: ClassVar[bool] = False

    def __init__(self, *, config: CarrierConfig, client: httpx.Client) -> None:
        super().__init__(config=config, client=client)
        self.clock: Callable[[], float] = time.monotonic
        self._token = ""
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        # The engine fetches chunks of one adapter from several threads; each remembers its own token.
        self._this_call = threading.local()

    def access_token(self) -> str:
        """A valid bearer token: the cached one while it lives, else a new one from the carrier."""
        # The lock is held across the token call on purpose: other threads wait for that token
        # instead of each asking the carrier for one of their own.
        with self._token_lock:
            cached = bool(self._token) and self.clock() < self._token_expires_at
            if not cached:
                token, lifetime = self._request_token()
                self._token = token
                self._token_expires_at = self.clock() + max(0.0, lifetime - _EXPIRY_MARGIN_SECONDS)
            self._this_call.token = self._token
            self._this_call.reused = cached
            return self._token

    def bearer_headers(self) -> dict[str, str]:
        """The headers of a tracking call made with the access token."""
        return {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json"}

    def forget_token(self, token: str) -> None:
        """Drop `token` from the cache, unless another thread already replaced it."""
        with self._token_lock:
            if self._token == token:
                self._token = ""
                self._token_expires_at = 0.0

    def token_request_headers(self) -> Mapping[str, str]:
        """Extra headers for the token call (UPS takes an optional merchant id here)."""
        return {}

    def fetch_chunk(self, numbers: Sequence[str]) -> Mapping[str, Outcome]:
        """The base flow, retried once with a fresh token when a cached token is refused."""
        self._this_call.token, self._this_call.reused = "", False
        try:
            return super().fetch_chunk(numbers)
        except CarrierFailure as failure:
            # Only a token we had cached can have been revoked; a fresh one refused means bad credentials.
            if failure.error.kind is not ErrorKind.AUTH or not self._this_call.reused:
                raise
            self.forget_token(self._this_call.token)
            return super().fetch_chunk(numbers)

    def _request_token(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        headers = {"Accept": "application/json", **self.token_request_headers()}
        if self.credentials_in_body:
            form |= {"client_id": self.config.username, "client_secret": self.config.password}
        else:
            pair = f"{self.config.username}:{self.config.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        request = self.make_request("POST", self.oauth_endpoint, form=form, headers=headers)
        try:
            response = self.send(request)
        except CarrierFailure as failure:
            # RFC 6749 answers bad client credentials with 400 as well as 401; neither heals by retrying.
            if failure.error.http_status == 400:
                raise CarrierFailure(
                    TrackingError(
                        ErrorKind.AUTH, f"{self.name} token request refused: {failure.error.message}", None, 400
                    )
                ) from failure
            raise
        body = self.json_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(f"{self.name} token response has no access_token")
        try:
            lifetime = float(body.get("expires_in", _DEFAULT_LIFETIME_SECONDS))
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_SECONDS
        return token, lifetime
