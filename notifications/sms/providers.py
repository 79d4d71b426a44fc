"""The SMS gateways a shop may use with its own account: official API URLs and the credential keys each takes.

The same rules as a shop's own ESP (``notifications.shop_esp``): listed providers only, credential keys
only (never a URL), and requests go only to the provider's official host over HTTPS, refused when that
host resolves to an internal address (``notifications.sms.http``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notifications.shop_esp import REGION, provider_options_errors


@dataclass(frozen=True)
class SmsProvider:
    """One SMS gateway: its backend, official API URL(s) per region and the keys a shop fills in."""

    label: str
    backend: str
    api_urls: dict[str, str]  # region -> official API base URL; the first is the default
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return self.required + self.optional + ((REGION,) if len(self.api_urls) > 1 else ())

    def api_url(self, options: dict[str, Any]) -> str:
        regions = list(self.api_urls)
        return self.api_urls[str(options.get(REGION) or regions[0])]


SMS_PROVIDERS: dict[str, SmsProvider] = {
    "smsapi": SmsProvider(
        label="SMSAPI",
        backend="notifications.sms.backends.SmsapiBackend",
        api_urls={"pl": "https://api.smsapi.pl/", "com": "https://api.smsapi.com/"},
        required=("token",),
    ),
    "twilio": SmsProvider(
        label="Twilio",
        backend="notifications.sms.backends.TwilioBackend",
        api_urls={"default": "https://api.twilio.com/"},
        required=("account_sid", "auth_token"),
        optional=("messaging_service_sid",),
    ),
}
SMS_PROVIDER_CHOICES = [(code, provider.label) for code, provider in SMS_PROVIDERS.items()]


def sms_options_errors(*, provider: str, options: Any) -> list[str]:
    """What is wrong with a shop's SMS gateway credentials (empty when they may be saved)."""
    return provider_options_errors(providers=SMS_PROVIDERS, provider=provider, options=options)
