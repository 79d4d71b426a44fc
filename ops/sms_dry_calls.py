"""Read-only calls that prove an SMS gateway accepts a set of credentials without sending anything.

Twilio: the account resource (``GET /2010-04-01/Accounts/{AccountSid}.json``, basic auth); SMSAPI: the
profile (``GET /profile``, Bearer token). The platform's account comes from its ``SMS_*`` settings, a
shop's from its SMS settings; a shop's call goes through the same sealed client its SMS do
(``notifications.sms.http``: official host, HTTPS, public addresses only), with the SMS timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from config import ssrf
from notifications.sms.http import OfficialHostTransport, platform_client, shop_client
from notifications.sms.providers import SMS_PROVIDERS


class SmsCredentialsMissing(Exception):
    """The account lacks a credential the dry call needs (named in the message)."""


def _twilio(base: str, options: dict[str, Any]) -> httpx.Request:
    request = httpx.Request("GET", f"{base}2010-04-01/Accounts/{options['account_sid']}.json")
    return httpx.BasicAuth(options["account_sid"], options["auth_token"]).auth_flow(request).__next__()


def _smsapi(base: str, options: dict[str, Any]) -> httpx.Request:
    return httpx.Request("GET", f"{base}profile", headers={"Authorization": f"Bearer {options['token']}"})


DRY_CALLS: dict[str, Callable[[str, dict[str, Any]], httpx.Request]] = {"twilio": _twilio, "smsapi": _smsapi}


def sms_dry_call_client(
    *,
    base_url: str,
    shop_owned: bool,
    transport: httpx.BaseTransport | None = None,
    resolver: ssrf.Resolver | None = None,
) -> httpx.Client:
    """The client a dry call goes through: the platform's, or for a shop's account one sealed to its provider's host.

    ``transport`` replaces the network (tests); a shop's requests pass the host and address checks before it.
    """
    if not shop_owned:
        return platform_client(transport=transport)
    host = urlsplit(base_url).hostname or ""
    return shop_client(host=host, transport=OfficialHostTransport(host=host, resolver=resolver, inner=transport))


def sms_dry_call(*, provider: str, base_url: str, options: dict[str, Any], client: httpx.Client) -> int:
    """The HTTP status the gateway answers a read-only call made with ``options``' credentials."""
    missing = [key for key in SMS_PROVIDERS[provider].required if not options.get(key)]
    if missing:
        raise SmsCredentialsMissing(", ".join(missing))
    base = base_url if base_url.endswith("/") else f"{base_url}/"
    return client.send(DRY_CALLS[provider](base, options)).status_code
