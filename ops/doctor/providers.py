"""Doctor checks of the outside world: carrier accounts' last results, ESP and SMS credentials, custom domains' DNS."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.http.request import validate_host
from django.utils import timezone

from notifications.models import NotificationSettings
from notifications.shop_esp import ESP_PROVIDERS
from notifications.sms.gateway import platform_options
from notifications.sms.http import SmsDestinationRefused
from notifications.sms.models import SmsSettings
from notifications.sms.providers import SMS_PROVIDERS, sms_options_errors
from ops.doctor import Finding, Level
from ops.esp_dry_calls import EspDryCallUnavailable, esp_dry_call
from ops.sms_dry_calls import SmsCredentialsMissing, sms_dry_call, sms_dry_call_client
from shipments.models import CarrierAccount
from shops.models import Shop

AREA = "providers"
DNS_TIMEOUT_SECONDS = 3.0


def check_carrier_accounts() -> Iterator[Finding]:
    """Every (shop, carrier) account by its last result: rejected credentials, recent errors, or fine."""
    now = timezone.now()
    accounts = CarrierAccount.objects.select_related("shop").order_by("shop__slug", "carrier")
    found = False
    for account in accounts:
        found = True
        name = f"{account.carrier} for shop {account.shop.slug}"
        whose = "the shop's own credentials" if account.has_credentials else f"CARRIER_{account.carrier.upper()}_*"
        if not account.enabled:
            yield Finding(AREA, name, Level.WARNING, "disabled: its parcels are not polled", "Enable it in the admin")
        elif account.last_auth_error_at and (
            account.last_success_at is None or account.last_auth_error_at > account.last_success_at
        ):
            paused = account.paused_until and account.paused_until > now
            yield Finding(
                AREA,
                name,
                Level.ERROR,
                f"credentials rejected ({whose}) at {account.last_auth_error_at:%Y-%m-%d %H:%M} UTC: "
                f"{account.last_auth_error[:200]}"
                + (f"; its parcels wait until {account.paused_until:%Y-%m-%d %H:%M} UTC" if paused else ""),
                f"Correct {whose} (Admin → Shipments → Carrier accounts), then 'poll now'",
            )
        elif account.last_error_at and (
            account.last_success_at is None or account.last_error_at > account.last_success_at
        ):
            yield Finding(
                AREA,
                name,
                Level.WARNING,
                f"last answer was an error ({account.last_error_kind}): {account.last_error[:200]}",
                "Look at Admin → Shipments → carrier health; transient errors retry on their own",
            )
        elif account.last_success_at:
            yield Finding(AREA, name, Level.OK, f"last success {account.last_success_at:%Y-%m-%d %H:%M} UTC")
        else:
            yield Finding(AREA, name, Level.OK, "not polled yet")
    if not found:
        yield Finding(AREA, "carrier accounts", Level.OK, "none yet (created on the first poll)")


def _platform_esp() -> tuple[str, dict[str, Any]] | None:
    for code, provider in ESP_PROVIDERS.items():
        if provider.backend == settings.EMAIL_BACKEND:
            prefix = f"{code.upper()}_"
            options = {key.removeprefix(prefix).lower(): value for key, value in settings.ANYMAIL.items()}
            return code, {key: value for key, value in options.items() if not key.startswith("requests")}
    return None


def check_esp_credentials(client: httpx.Client | None = None) -> Iterator[Finding]:
    """The platform's ESP and every shop's own ESP answer a read-only call with their credentials."""
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
    try:
        platform = _platform_esp()
        if platform is None:
            yield Finding(AREA, "platform ESP", Level.OK, f"{settings.EMAIL_BACKEND}: no credentials to check")
        else:
            yield _esp_finding("platform ESP", *platform, client=client)
        shop_esps = NotificationSettings.objects.exclude(esp_provider="").select_related("shop").order_by("shop__slug")
        for row in shop_esps:
            yield _esp_finding(f"ESP of shop {row.shop.slug}", row.esp_provider, row.esp_secret_options, client=client)
    finally:
        if own_client:
            client.close()


def _esp_finding(name: str, provider: str, options: dict[str, Any], *, client: httpx.Client) -> Finding:
    label = ESP_PROVIDERS[provider].label
    try:
        status = esp_dry_call(provider=provider, options=options, client=client)
    except EspDryCallUnavailable as reason:
        return Finding(AREA, name, Level.OK, f"{label}: {reason} (not checked)")
    except httpx.HTTPError as error:
        return Finding(AREA, name, Level.WARNING, f"{label} unreachable: {error}", "Check outbound HTTPS to the ESP")
    if status in {401, 403}:
        return Finding(AREA, name, Level.ERROR, f"{label} refused the credentials (HTTP {status})", "Renew the API key")
    if status >= 400:
        return Finding(AREA, name, Level.WARNING, f"{label} answered HTTP {status}", "See the ESP's status page")
    return Finding(AREA, name, Level.OK, f"{label} accepted the credentials")


# Where each SMS credential is corrected: the platform's in its settings, a shop's in the admin.
PLATFORM_SMS_FIX = {
    "smsapi": "Renew SMS_SMSAPI_TOKEN (SMSAPI panel → API tokens), then restart web and workers",
    "twilio": "Correct SMS_TWILIO_ACCOUNT_SID / SMS_TWILIO_AUTH_TOKEN (Twilio console), then restart web and workers",
}
SHOP_SMS_FIX = "Correct the shop's gateway credentials (Admin → Notifications → SMS settings), or clear its own gateway"


def check_sms_credentials(
    transport: httpx.BaseTransport | None = None, resolver: Callable[[str, int], list[str]] | None = None
) -> Iterator[Finding]:
    """The platform's SMS gateway and every shop's own account answer a read-only call with their credentials."""
    provider, base_url, options = platform_options()
    if provider not in SMS_PROVIDERS:
        yield Finding(
            AREA,
            "platform SMS",
            Level.WARNING if settings.PRODUCTION else Level.OK,
            "database outbox: SMS are only stored, never sent (fine for the demo, not for production)",
            "Set SMS_BACKEND=smsapi or twilio and its SMS_* credentials",
        )
    else:
        with sms_dry_call_client(base_url=base_url, shop_owned=False, transport=transport) as client:
            yield _sms_finding("platform SMS", provider, base_url, options, client, fix=PLATFORM_SMS_FIX[provider])
    for conf in SmsSettings.objects.exclude(provider="").select_related("shop").order_by("shop__slug"):
        name = f"SMS gateway of shop {conf.shop.slug}"
        errors = sms_options_errors(provider=conf.provider, options=conf.secret_options)
        if errors:
            yield Finding(AREA, name, Level.ERROR, f"invalid settings: {' '.join(errors)}", SHOP_SMS_FIX)
            continue
        base_url = SMS_PROVIDERS[conf.provider].api_url(conf.secret_options)
        with sms_dry_call_client(base_url=base_url, shop_owned=True, transport=transport, resolver=resolver) as client:
            yield _sms_finding(name, conf.provider, base_url, conf.secret_options, client, fix=SHOP_SMS_FIX)


def _sms_finding(
    name: str, provider: str, base_url: str, options: dict[str, Any], client: httpx.Client, *, fix: str
) -> Finding:
    label = SMS_PROVIDERS[provider].label
    if provider == "twilio":
        label = f"Twilio (account {options.get('account_sid') or '?'})"
    try:
        status = sms_dry_call(provider=provider, base_url=base_url, options=options, client=client)
    except SmsCredentialsMissing as missing:
        return Finding(AREA, name, Level.ERROR, f"{label}: missing {missing}", fix)
    except SmsDestinationRefused as error:
        return Finding(AREA, name, Level.ERROR, f"{label}: address refused ({error})", "Check the gateway host's DNS")
    except httpx.HTTPError as error:
        return Finding(
            AREA, name, Level.WARNING, f"{label} unreachable: {type(error).__name__}", "Check outbound HTTPS"
        )
    if status in {401, 403}:
        return Finding(AREA, name, Level.ERROR, f"{label} refused the credentials (HTTP {status})", fix)
    if status >= 400:
        return Finding(AREA, name, Level.WARNING, f"{label} answered HTTP {status}", "See the gateway's status page")
    return Finding(AREA, name, Level.OK, f"{label} accepted the credentials")


def resolve(host: str) -> set[str]:
    """The addresses ``host`` resolves to (the seam the tests replace)."""
    return {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}


def _resolve_within(host: str, resolver: Callable[[str], set[str]], pool: ThreadPoolExecutor) -> set[str] | str:
    try:
        return pool.submit(resolver, host).result(timeout=DNS_TIMEOUT_SECONDS)
    except FutureTimeout:
        return f"no answer within {DNS_TIMEOUT_SECONDS:.0f} s"
    except OSError as error:
        return f"does not resolve ({error.strerror or error})"


def check_custom_domains(resolver: Callable[[str], set[str]] | None = None) -> Iterator[Finding]:
    """Each shop's custom domain resolves to where this deployment's public URL does, and Django accepts it."""
    resolver = resolver or resolve
    domains = list(Shop.objects.exclude(custom_domain="").order_by("slug").values_list("slug", "custom_domain"))
    if not domains:
        yield Finding(AREA, "custom domains", Level.OK, "no shop uses one")
        return
    public_host = urlsplit(settings.PUBLIC_BASE_URL).hostname or ""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="doctor-dns") as pool:
        expected = _resolve_within(public_host, resolver, pool)
        for slug, domain in domains:
            name = f"domain {domain} (shop {slug})"
            if not validate_host(domain, settings.ALLOWED_HOSTS):
                yield Finding(
                    AREA, name, Level.ERROR, "not in ALLOWED_HOSTS: its pages answer 400", "Add it to ALLOWED_HOSTS"
                )
                continue
            addresses = _resolve_within(domain, resolver, pool)
            if isinstance(addresses, str):
                yield Finding(AREA, name, Level.ERROR, addresses, f"Point its DNS (A/AAAA or CNAME) at {public_host}")
            elif isinstance(expected, set) and not addresses & expected:
                yield Finding(
                    AREA,
                    name,
                    Level.WARNING,
                    f"resolves to {', '.join(sorted(addresses))}, not to {public_host} ({', '.join(sorted(expected))})",
                    f"Point its DNS at {public_host}, unless a CDN or proxy in front is intended",
                )
            else:
                yield Finding(AREA, name, Level.OK, f"resolves to {', '.join(sorted(addresses))}")


CHECKS = (check_carrier_accounts, check_esp_credentials, check_sms_credentials, check_custom_domains)
