"""Shop slugs that would shadow the platform's own paths (/<slug>/track sits beside /admin/, /t/ ...)."""

import re

from django.core.exceptions import ValidationError
from django.urls import URLResolver, get_resolver

# Paths we serve today or plan to (so a future route never collides with a shop created before it),
# plus names that would confuse customers or ops. The URLconf's own first segments are added at call time.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "webhooks", "static", "media", "healthz", "readyz", "livez", "metrics", "status",
        "t", "p", "r", "f", "track", "returns", "return", "feedback", "portal", "email", "staff", "account",
        "accounts", "login", "logout", "auth", "oauth", "sso", "docs", "help", "support", "www", "assets",
        "favicon.ico", "robots.txt", "sitemap.xml", ".well-known", "widget", "embed", "unsubscribe", "u",
    }
)  # fmt: skip

_LITERAL_HEAD = re.compile(r"^\^?([A-Za-z0-9._~-]+)(?:/|\\\.|\\/|$)")


def _first_segment(pattern: object) -> str | None:
    """The literal first path segment of a URL pattern, or None when it starts with a parameter or is empty."""
    text = str(pattern)
    match = _LITERAL_HEAD.match(text)
    return match.group(1).lower() if match else None


def _url_first_segments(patterns: list) -> set[str]:
    segments: set[str] = set()
    for entry in patterns:
        head = _first_segment(entry.pattern)
        if head:
            segments.add(head)
        elif isinstance(entry, URLResolver) and str(entry.pattern) in ("", "^"):
            # include("app.urls") at the root: its own patterns sit at the top level.
            segments |= _url_first_segments(entry.url_patterns)
    return segments


def reserved_slugs() -> frozenset[str]:
    """Every slug a shop may not take: the fixed list plus the first segment of every root URL."""
    return RESERVED_SLUGS | _url_first_segments(get_resolver().url_patterns)


def validate_shop_slug(value: str) -> None:
    """Refuse slugs that would shadow a platform path such as /admin/ or /t/<token>."""
    if value.lower() in reserved_slugs():
        raise ValidationError(
            "%(slug)s is reserved for the platform's own pages; choose another slug.",
            code="reserved_slug",
            params={"slug": value},
        )
