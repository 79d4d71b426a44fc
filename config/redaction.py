"""The one masking helper: what must never reach a log line or an error report, replaced by placeholders.

Public-link tokens (tracking pages, redirects, unsubscribe, a shop's ESP webhook), API keys, webhook
secrets and bearer tokens, email addresses and phone numbers. Used by the logging filters
(``config.logs``, and the request loggers through ``TokenMaskingFilter``) and by Sentry's ``before_send``.
"""

import logging
import re
from datetime import date
from typing import Any

# /t/<order token>, /p/<parcel token>, /m/<message-settings token> and anything after them (".json", "/go/...").
TOKEN_PATH_RE = re.compile(r"(/[tpm]/)[A-Za-z0-9_-]{8,}")
# Signed tokens (django.core.signing: ":" and "." inside) of click redirects (/r/), score links (/f/), short unsubscribe
# links (/u/) and unsubscribe pages; older unsubscribe tokens carry the customer's email in base64.
SIGNED_TOKEN_PATH_RE = re.compile(r"(/(?:r|u|f|email/unsubscribe)/)[A-Za-z0-9_.:=%-]{8,}")
# A shop's own ESP webhook: /webhooks/esp/<provider>/<shop webhook token>/tracking/.
WEBHOOK_TOKEN_PATH_RE = re.compile(r"(/webhooks/esp/[a-z_]+/)[A-Za-z0-9_-]{20,}")
MASK = r"\1[token]"

# Secrets in text: our API keys (pf_<prefix>_<secret>: the prefix identifies, the rest is the key), webhook
# signing secrets, and whatever follows "Bearer " or a secret-looking query parameter (?token=, &api_key=).
SECRET_PATTERNS = (
    (re.compile(r"\b(pf_[0-9a-f]{6,16}_)[A-Za-z0-9_-]+"), r"\1[key]"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9+/=]+"), r"\1[secret]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[token]"),
    (re.compile(r"(?i)([?&](?:api_?key|token|secret|password|passwd)=)[^&\s\"']+"), r"\1[secret]"),
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# International numbers (+48 600 100 200, +420-601-123-456) and Polish-style 600 100 200 / 600-100-200;
# bare digit runs are left alone, they are tracking and order numbers far more often than phones.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ -]?(?:\(?\d{1,4}\)?[ -]?){2,5}\d{2,4}|\d{3}[ -]\d{3}[ -]\d{3})(?!\w)")

TOKEN_LOGGERS = ("django.server", "django.request", "gunicorn.access", "gunicorn.error")


def mask_tokens(text: str) -> str:
    """``text`` with every public-link token (tracking pages, redirects, unsubscribe) replaced by a placeholder."""
    for pattern in (TOKEN_PATH_RE, SIGNED_TOKEN_PATH_RE, WEBHOOK_TOKEN_PATH_RE):
        text = pattern.sub(MASK, text)
    return text


def mask_sensitive(text: str) -> str:
    """``text`` with link tokens, keys and secrets, email addresses (the domain stays) and phone numbers masked."""
    text = mask_tokens(text)
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    text = EMAIL_RE.sub(r"[email]@\1", text)
    return PHONE_RE.sub("[phone]", text)


def mask_value(value: Any) -> Any:
    """``value`` with every string in it masked (dicts and lists walked); other objects by their masked text.

    Numbers and moments stay as they are (Sentry's breadcrumbs carry their timestamp as a ``datetime``).
    """
    if value is None or isinstance(value, bool | int | float | date):
        return value
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return mask_sensitive(value if isinstance(value, str) else str(value))


class TokenMaskingFilter(logging.Filter):
    """Rewrites log records so the public tokens in tracking URLs never reach a log file.

    The token is the only secret guarding an order's page; access logs are read by many people and
    kept for long. Usable from LOGGING as ``{"()": "config.redaction.TokenMaskingFilter"}``.
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


class SensitiveDataFilter(logging.Filter):
    """Masks tokens, secrets, emails and phones in a record's message (tracebacks: ``config.logs``' formatters)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_sensitive(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_token_filter() -> None:
    """Attach the token filter to the loggers that print request paths and have handlers of their own (idempotent)."""
    for name in TOKEN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, TokenMaskingFilter) for existing in logger.filters):
            logger.addFilter(TokenMaskingFilter())
