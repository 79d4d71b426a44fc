"""A shop's own ESP: the providers it may pick, the keys each takes, and a connection sealed to that provider.

A shop's credentials never mix with the platform's: every option anymail would otherwise look up in
``settings.ANYMAIL`` (credentials, ``api_url``) is passed explicitly, so a key the shop left out can
never be filled in with the platform's token, and ``api_url`` is always the provider's official one.
The connection's HTTP session talks only HTTPS to that official host, and only when the host resolves
to public addresses (``config.ssrf``), so no shop setting can point the platform at an internal service.

Providers: the ones anymail supports through an HTTP API (its ``requests`` backends, where the session
is our seam) and still supports officially. Not offered: Amazon SES (boto3, whose default credential
chain would pick up the platform's own AWS role), SendGrid (anymail dropped official support),
Mandrill, MailerSend, Mailtrap, Postal, Scaleway and Unisender Go (no demand so far; adding one is a row here).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from django.utils.module_loading import import_string
from requests.adapters import HTTPAdapter

from config import ssrf

REGION = "region"


@dataclass(frozen=True)
class EspProvider:
    """One ESP a shop may use: its anymail backend, official API URL(s) and the keys the shop fills in."""

    label: str
    backend: str
    webhook_view: str
    api_urls: dict[str, str]  # region -> the provider's official API URL; the first is the default
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # Keys only the tracking webhook uses (a signing key), never handed to the sending backend.
    webhook_keys: tuple[str, ...] = ()
    # Backend options with no shop value, fixed so anymail never reads the platform's.
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.required + self.optional + ((REGION,) if len(self.api_urls) > 1 else ())

    def api_url(self, options: dict[str, Any]) -> str:
        regions = list(self.api_urls)
        return self.api_urls[str(options.get(REGION) or regions[0])]


ESP_PROVIDERS: dict[str, EspProvider] = {
    "postmark": EspProvider(
        label="Postmark",
        backend="anymail.backends.postmark.EmailBackend",
        webhook_view="anymail.webhooks.postmark.PostmarkTrackingWebhookView",
        api_urls={"default": "https://api.postmarkapp.com/"},
        required=("server_token",),
        fixed={"message_stream": None, "use_bulk_api": False, "generate_message_id": False},
    ),
    "mailgun": EspProvider(
        label="Mailgun",
        backend="anymail.backends.mailgun.EmailBackend",
        webhook_view="anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        api_urls={"us": "https://api.mailgun.net/v3/", "eu": "https://api.eu.mailgun.net/v3/"},
        required=("api_key", "webhook_signing_key"),
        optional=("sender_domain",),
        webhook_keys=("webhook_signing_key",),
    ),
    "brevo": EspProvider(
        label="Brevo",
        backend="anymail.backends.brevo.EmailBackend",
        webhook_view="anymail.webhooks.brevo.BrevoTrackingWebhookView",
        api_urls={"default": "https://api.brevo.com/v3/"},
        required=("api_key",),
    ),
    "mailjet": EspProvider(
        label="Mailjet",
        backend="anymail.backends.mailjet.EmailBackend",
        webhook_view="anymail.webhooks.mailjet.MailjetTrackingWebhookView",
        api_urls={"default": "https://api.mailjet.com/v3.1/"},
        required=("api_key", "secret_key"),
    ),
    "resend": EspProvider(
        label="Resend",
        backend="anymail.backends.resend.EmailBackend",
        webhook_view="anymail.webhooks.resend.ResendTrackingWebhookView",
        api_urls={"default": "https://api.resend.com/"},
        required=("api_key",),
    ),
    "sparkpost": EspProvider(
        label="SparkPost",
        backend="anymail.backends.sparkpost.EmailBackend",
        webhook_view="anymail.webhooks.sparkpost.SparkPostTrackingWebhookView",
        api_urls={"us": "https://api.sparkpost.com/api/v1/", "eu": "https://api.eu.sparkpost.com/api/v1/"},
        required=("api_key",),
        fixed={"subaccount": None},
    ),
}
ESP_PROVIDER_CHOICES = [(code, provider.label) for code, provider in ESP_PROVIDERS.items()]


def esp_options_errors(*, provider: str, options: Any) -> list[str]:
    """What is wrong with a shop's ESP options (empty when they may be saved)."""
    return provider_options_errors(providers=ESP_PROVIDERS, provider=provider, options=options)


def provider_options_errors(*, providers: dict[str, Any], provider: str, options: Any) -> list[str]:
    """What is wrong with a shop's credentials for one of ``providers`` (ESPs, SMS gateways): listed keys only."""
    if not provider:
        return ["Remove the provider's options, or choose a provider."] if options else []
    spec = providers.get(provider)
    if spec is None:
        return [f"Unknown provider {provider!r}; choose one of {', '.join(providers)}."]
    if not isinstance(options, dict):
        return ["A JSON object of the provider's credentials."]
    errors = []
    unknown = sorted(set(options) - set(spec.keys))
    if unknown:
        errors.append(f"{spec.label} takes only {', '.join(spec.keys)}; not allowed: {', '.join(unknown)}.")
    missing = [key for key in spec.required if not options.get(key)]
    if missing:
        errors.append(f"{spec.label} needs {', '.join(missing)}.")
    wrong_types = sorted(key for key, value in options.items() if key in spec.keys and not isinstance(value, str))
    if wrong_types:
        errors.append(f"These must be text: {', '.join(wrong_types)}.")
    if REGION in options and options[REGION] not in spec.api_urls:
        errors.append(f"{REGION} is one of {', '.join(spec.api_urls)}.")
    return errors


class ShopEspInvalid(Exception):
    """The shop's stored ESP settings may not be used (saved before the rules, or edited around them)."""


class EspDestinationRefused(requests.ConnectionError):
    """A shop ESP's request would have left the provider's official public host."""


class OfficialHostAdapter(HTTPAdapter):
    """Sends only HTTPS to one host, and only when every address it resolves to is public."""

    def __init__(self, *, host: str) -> None:
        self.host = host
        super().__init__(max_retries=0)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        if url.scheme != "https" or url.hostname != self.host or url.port not in (None, 443):
            raise EspDestinationRefused(f"only https://{self.host}/ may be reached", request=request)
        try:
            addresses = [ipaddress.ip_address(item.split("%", 1)[0]) for item in ssrf.system_resolver(self.host, 443)]
        except (OSError, ValueError) as error:
            raise requests.ConnectionError(f"cannot resolve {self.host}", request=request) from error
        for address in addresses:
            refusal = ssrf.address_refusal(address)
            if refusal is not None:
                raise EspDestinationRefused(f"{self.host} resolves to {refusal}", request=request)
        return super().send(request, *args, **kwargs)


class ShopEspSessionMixin:
    """Anymail's requests session, mounted so it reaches only the provider's official host."""

    shop_owned = True  # sending.py keeps foreign error bodies out of Message.reason for these
    api_url: str

    def create_session(self) -> requests.Session:
        session = super().create_session()  # type: ignore[misc]
        adapter = OfficialHostAdapter(host=urlsplit(self.api_url).hostname or "")
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.trust_env = False  # no proxy or .netrc from the environment
        return session


@cache
def _backend_class(provider: str) -> type:
    base = import_string(ESP_PROVIDERS[provider].backend)
    return type(f"Shop{base.esp_name.replace(' ', '')}Backend", (ShopEspSessionMixin, base), {})


def shop_esp_connection(*, provider: str, options: dict[str, Any]) -> Any:
    """An open anymail connection to a shop's own ESP, built only from the shop's own keys."""
    errors = esp_options_errors(provider=provider, options=options)
    if errors:
        raise ShopEspInvalid(f"The shop's ESP settings are invalid: {' '.join(errors)}")
    spec = ESP_PROVIDERS[provider]
    api_url = spec.api_url(options)
    sending_keys = [key for key in spec.required + spec.optional if key not in spec.webhook_keys]
    explicit = {key: options.get(key) or None for key in sending_keys}
    connection = _backend_class(provider)(**explicit, **spec.fixed, api_url=api_url, debug_api_requests=False)
    if connection.api_url != api_url:
        raise ShopEspInvalid("The shop's ESP connection does not use the provider's official URL")
    connection.open()
    return connection


def shop_esp_webhook_view(*, provider: str, options: dict[str, Any], basic_auth: str) -> Any:
    """Anymail's tracking webhook view of the provider, checking the shop's own secret and signing keys."""
    spec = ESP_PROVIDERS[provider]
    explicit: dict[str, Any] = {"webhook_secret": [basic_auth]}
    if provider == "mailgun":
        explicit.update(webhook_signing_key=options.get("webhook_signing_key"), api_key=options.get("api_key"))
    elif provider == "resend":
        explicit["signing_secret"] = None
    elif provider == "sparkpost":
        explicit["track_initial_open_as_opened"] = False
    return import_string(spec.webhook_view)(**explicit)
