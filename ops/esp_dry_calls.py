"""Read-only calls that prove an ESP accepts a set of credentials without sending anything.

One entry per provider that offers such a call (the account or server resource behind the key). Shops'
options are the same keys ``notifications.shop_esp`` stores; the platform's come from ``ANYMAIL_<ESP>_*``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from notifications.shop_esp import ESP_PROVIDERS


class EspDryCallUnavailable(Exception):
    """The provider (or this set of options) has no read-only call to try."""


def _postmark(base: str, options: dict[str, Any]) -> httpx.Request:
    return httpx.Request("GET", f"{base}server", headers={"X-Postmark-Server-Token": options["server_token"]})


def _mailgun(base: str, options: dict[str, Any]) -> httpx.Request:
    request = httpx.Request("GET", f"{base}domains?limit=1")
    return httpx.BasicAuth("api", options["api_key"]).auth_flow(request).__next__()


def _brevo(base: str, options: dict[str, Any]) -> httpx.Request:
    return httpx.Request("GET", f"{base}account", headers={"api-key": options["api_key"]})


def _mailjet(base: str, options: dict[str, Any]) -> httpx.Request:
    request = httpx.Request("GET", base.replace("/v3.1/", "/v3/REST/") + "apikey?Limit=1")
    return httpx.BasicAuth(options["api_key"], options["secret_key"]).auth_flow(request).__next__()


def _resend(base: str, options: dict[str, Any]) -> httpx.Request:
    return httpx.Request("GET", f"{base}domains", headers={"Authorization": f"Bearer {options['api_key']}"})


def _sparkpost(base: str, options: dict[str, Any]) -> httpx.Request:
    return httpx.Request("GET", f"{base}account", headers={"Authorization": options["api_key"]})


DRY_CALLS: dict[str, Callable[[str, dict[str, Any]], httpx.Request]] = {
    "postmark": _postmark,
    "mailgun": _mailgun,
    "brevo": _brevo,
    "mailjet": _mailjet,
    "resend": _resend,
    "sparkpost": _sparkpost,
}


def esp_dry_call(*, provider: str, options: dict[str, Any], client: httpx.Client) -> int:
    """The HTTP status the provider answers a read-only call made with ``options``' credentials."""
    build = DRY_CALLS.get(provider)
    if build is None:
        raise EspDryCallUnavailable("no read-only call is known for this provider")
    spec = ESP_PROVIDERS[provider]
    missing = [key for key in spec.required if key not in spec.webhook_keys and not options.get(key)]
    if missing:
        raise EspDryCallUnavailable(f"missing {', '.join(missing)}")
    base = str(options.get("api_url") or spec.api_url(options))
    base = base if base.endswith("/") else f"{base}/"
    return client.send(build(base, options)).status_code
