"""Privacy and security plumbing of the public pages: headers, CORS for the widget, token-free logs."""

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from shops.models import Shop

# /t/<order token>, /p/<parcel token> and anything after them (".json", "/go/...", "/feedback").
TOKEN_PATH_RE = re.compile(r"(/[tp]/)[A-Za-z0-9_-]{8,}")
# Signed tokens (django.core.signing: ":" and "." inside) of click redirects (/r/), score links (/f/), short
# unsubscribe links (/u/) and unsubscribe pages; older unsubscribe tokens carry the customer's email in base64.
SIGNED_TOKEN_PATH_RE = re.compile(r"(/(?:r|u|f|email/unsubscribe)/)[A-Za-z0-9_.:=%-]{8,}")
# A shop's own ESP webhook: /webhooks/esp/<provider>/<shop webhook token>/tracking/.
WEBHOOK_TOKEN_PATH_RE = re.compile(r"(/webhooks/esp/[a-z_]+/)[A-Za-z0-9_-]{20,}")
MASK = r"\1[token]"

TOKEN_LOGGERS = ("django.server", "django.request", "gunicorn.access", "gunicorn.error")


def mask_tokens(text: str) -> str:
    """``text`` with every public-link token (tracking pages, redirects, unsubscribe) replaced by a placeholder."""
    for pattern in (TOKEN_PATH_RE, SIGNED_TOKEN_PATH_RE, WEBHOOK_TOKEN_PATH_RE):
        text = pattern.sub(MASK, text)
    return text


class TokenMaskingFilter(logging.Filter):
    """Rewrites log records so the public tokens in tracking URLs never reach a log file.

    The token is the only secret guarding an order's page; access logs are read by many people and
    kept for long. Usable from LOGGING as ``{"()": "tracking_portal.security.TokenMaskingFilter"}``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_token_filter() -> None:
    """Attach the masking filter to the loggers that print request paths (idempotent)."""
    for name in TOKEN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, TokenMaskingFilter) for existing in logger.filters):
            logger.addFilter(TokenMaskingFilter())


def shop_origins(shop: Shop) -> set[str]:
    """Host names whose pages may read the shop's widget JSON: its website and its custom domain."""
    hosts = set()
    if shop.website_url:
        host = (urlsplit(shop.website_url).hostname or "").lower()
        if host:
            hosts.add(host)
    if shop.custom_domain:
        hosts.add(shop.custom_domain.lower())
    return hosts


def cors_allowed_origin(request: HttpRequest, allowed_hosts: set[str]) -> str:
    """The request's Origin when it belongs to one of ``allowed_hosts`` (HTTPS, or HTTP in development)."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return ""
    parts = urlsplit(origin)
    schemes = {"https"} if not settings.DEBUG else {"https", "http"}
    if parts.scheme in schemes and (parts.hostname or "").lower() in allowed_hosts:
        return origin
    return ""
