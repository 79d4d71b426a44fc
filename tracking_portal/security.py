"""Privacy and security plumbing of the public pages: headers, CORS for the widget, token-free logs."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from config.redaction import TokenMaskingFilter, install_token_filter, mask_tokens
from shops.models import Shop

# The masking itself lives in config.redaction (logs and error reports share it); re-exported for this app.
__all__ = ["TokenMaskingFilter", "cors_allowed_origin", "install_token_filter", "mask_tokens", "shop_origins"]


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
