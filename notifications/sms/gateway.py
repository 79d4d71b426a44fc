"""Which SMS backend a shop's messages go through: its own gateway account when it set one, else the platform's.

Backends are kept per process (their httpx clients pool connections), keyed by provider and options.
Delivery reports come back to ``/webhooks/sms/<provider>/<token>/``: the token is the platform's
``SMS_WEBHOOK_SECRET`` for the platform account, the shop's own ``webhook_token`` for its account.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from notifications.sms.backends import OutboxSmsBackend, SmsBackend
from notifications.sms.http import platform_client, shop_client
from notifications.sms.models import SmsSettings
from notifications.sms.providers import SMS_PROVIDERS, sms_options_errors
from notifications.sms.selectors import sms_settings_for
from shops.models import Shop

PLATFORM = "platform"
_backends: dict[str, SmsBackend] = {}


class SmsGatewayInvalid(Exception):
    """The shop's stored gateway settings may not be used (saved before the rules, or edited around them)."""


def platform_options() -> tuple[str, str, dict[str, str]]:
    """(provider, base URL, credentials) of the platform's own gateway account, from settings."""
    if settings.SMS_BACKEND == "smsapi":
        return "smsapi", settings.SMS_SMSAPI_BASE_URL, {"token": settings.SMS_SMSAPI_TOKEN}
    if settings.SMS_BACKEND == "twilio":
        return (
            "twilio",
            settings.SMS_TWILIO_BASE_URL,
            {
                "account_sid": settings.SMS_TWILIO_ACCOUNT_SID,
                "auth_token": settings.SMS_TWILIO_AUTH_TOKEN,
                "messaging_service_sid": settings.SMS_TWILIO_MESSAGING_SERVICE_SID,
            },
        )
    return "outbox", "", {}


def sms_backend_for(*, shop: Shop) -> SmsBackend:
    """The backend this shop's SMS go through (its own account, else the platform's)."""
    conf = sms_settings_for(shop=shop)
    if conf.provider:
        errors = sms_options_errors(provider=conf.provider, options=conf.secret_options)
        if errors:
            raise SmsGatewayInvalid(f"The shop's SMS gateway settings are invalid: {' '.join(errors)}")
        spec = SMS_PROVIDERS[conf.provider]
        return _cached(conf.provider, spec.api_url(conf.secret_options), conf.secret_options, shop_owned=True)
    provider, base_url, options = platform_options()
    return _cached(provider, base_url, options, shop_owned=False)


def _cached(provider: str, base_url: str, options: dict[str, Any], *, shop_owned: bool) -> SmsBackend:
    key = hashlib.sha256(json.dumps([provider, base_url, options, shop_owned], sort_keys=True).encode()).hexdigest()
    backend = _backends.get(key)
    if backend is None:
        if provider == "outbox":
            backend = OutboxSmsBackend()
        else:
            cls = import_string(SMS_PROVIDERS[provider].backend)
            host = base_url.split("://", 1)[-1].split("/", 1)[0]
            client = shop_client(host=host) if shop_owned else platform_client()
            backend = cls(base_url=base_url, options=options, client=client, shop_owned=shop_owned)
        _backends[key] = backend
    return backend


def sms_backends_reset() -> None:
    """Forget the per-process backends (settings changed: tests, a reloaded configuration)."""
    for backend in _backends.values():
        client = getattr(backend, "client", None)
        if client is not None:
            client.close()
    _backends.clear()


def sms_report_target(*, shop: Shop) -> tuple[str, str]:
    """(provider, token) that delivery reports of this shop's SMS arrive with."""
    conf = sms_settings_for(shop=shop)
    if conf.provider:
        return conf.provider, conf.webhook_token
    return platform_options()[0], settings.SMS_WEBHOOK_SECRET


def sms_callback_url(*, shop: Shop) -> str:
    """The delivery-report URL handed to the gateway with each SMS (empty for the database outbox)."""
    provider, token = sms_report_target(shop=shop)
    if provider not in SMS_PROVIDERS or not token:
        return ""
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:sms_report', args=[provider, token])}"


def report_credentials(*, provider: str, token: str) -> tuple[int | None, dict[str, Any]] | None:
    """Whose report URL this is: (shop id or None for the platform, that account's credentials); None: nobody's."""
    if provider not in SMS_PROVIDERS:
        return None
    platform_provider, _, platform_creds = platform_options()
    secret = settings.SMS_WEBHOOK_SECRET
    if secret and provider == platform_provider and hmac.compare_digest(token.encode(), secret.encode()):
        return None, platform_creds
    conf = SmsSettings.objects.filter(webhook_token=token, provider=provider).first()
    if conf is None:
        return None
    return conf.shop_id, dict(conf.secret_options)
