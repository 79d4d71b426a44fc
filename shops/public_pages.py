"""What every public page of a shop shares (tracking, returns): the safe theme, security headers, languages.

Moved down from tracking_portal so the returns portal, below it in the layering, brands and guards its
pages the same way.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse

from shops.branding import WCAG_AA_NORMAL_TEXT, contrast_ratio, readable_text_on
from shops.languages import LANGUAGE_NAMES
from shops.models import Shop

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
# UI components (progress bar, focus ring) need 3:1 against the background (WCAG 1.4.11).
WCAG_NON_TEXT = 3.0


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


@dataclass(frozen=True)
class Theme:
    """The shop's colours made safe: validated hex values, text colours adjusted to stay readable."""

    css: str  # the body of the page's one inline <style> block (CSP allows it by hash)


def _safe_hex(value: str, default: str) -> str:
    return value if isinstance(value, str) and _HEX.match(value) else default


def theme_for(shop: Shop) -> Theme:
    """CSS custom properties from the shop's brand colours, corrected where they would be unreadable.

    Only validated ``#RRGGBB`` values and fonts from the allowlist reach the stylesheet, so the block
    can be emitted unescaped and allowed by its hash in the Content-Security-Policy.
    """
    background = _safe_hex(shop.background_color, "#FFFFFF")
    text = _safe_hex(shop.text_color, "#1C1C1C")
    primary = _safe_hex(shop.primary_color, "#1F4E79")
    accent = _safe_hex(shop.accent_color, "#F2A900")
    if contrast_ratio(text, background) < WCAG_AA_NORMAL_TEXT:
        text = readable_text_on(background)
    # Links and headings use the primary colour only where it is readable on the background.
    link = primary if contrast_ratio(primary, background) >= WCAG_AA_NORMAL_TEXT else text
    ui = primary if contrast_ratio(primary, background) >= WCAG_NON_TEXT else text
    properties = {
        "--pf-bg": background,
        "--pf-text": text,
        "--pf-link": link,
        "--pf-ui": ui,
        "--pf-primary": primary,
        "--pf-on-primary": readable_text_on(primary),
        "--pf-accent": accent,
        "--pf-on-accent": readable_text_on(accent),
        "--pf-font": shop.font_stack,
    }
    css = ":root{" + ";".join(f"{name}:{value}" for name, value in properties.items()) + "}"
    return Theme(css=css)


def language_links(current: str, base_query: dict[str, str] | None = None) -> tuple[LanguageLink, ...]:
    """Links switching the page language with ``?lang=`` (plain links: they work without JavaScript)."""
    links = []
    for code, name in LANGUAGE_NAMES.items():
        query = {**(base_query or {}), "lang": code}
        links.append(LanguageLink(code=code, name=name, url="?" + urlencode(query), current=code == current))
    return tuple(links)


def style_hash(css: str) -> str:
    """The CSP source expression allowing exactly one inline <style> block."""
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(*, style_sources: str = "") -> str:
    """No inline scripts, no third-party origins except images over HTTPS (shop logos, product photos)."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' {style_sources}".strip(),
            "img-src 'self' https: data:",
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def portal_headers(response: HttpResponse, *, csp: str, private: bool = True) -> HttpResponse:
    """Security headers of every portal page: CSP, no referrer to carriers and shops, no shared caching."""
    response["Content-Security-Policy"] = csp
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    if private:
        # The URL is the secret: no proxy or shared cache may keep the page, no search engine index it.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
