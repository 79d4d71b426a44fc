"""Rendering of the portal pages: the order page (cached per order version), the parcel page, the widget JSON.

Views decide who may see what; this module turns loaded data into bytes plus the CSP that allows them.
Nothing request-specific goes into a cached page (no CSRF token, no nonce): the one inline style block is
allowed by its hash; the score links lead to the feedback app's page, which records nothing on GET.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from babel.numbers import format_currency
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from analytics.estimates import learned_windows_for
from campaigns.placements import Placements, page_placements
from carriers.types import Status
from feedback.selectors import ScorePrompt
from returns.links import return_start_path
from returns.selectors import order_offers_returns
from shipments.models import Order, Shipment
from shops.models import Shop
from shops.public_pages import content_security_policy, style_hash
from tracking_portal.presenters import (
    OrderPage,
    carrier_tracking_url,
    format_day,
    order_page_build,
    shop_zone,
    web_image_url,
    web_url,
)
from tracking_portal.selectors import PageKey, order_page_key
from watchlist.selectors import customer_incidents_for

# Hot pages are also kept in each process: a shared-cache round trip (Redis) per view would cost more
# than the rest of serving the page. Entries are keyed by order version, so they are never stale.
LOCAL_PAGES = 512
RECENT_KEYS = 4096


@dataclass(frozen=True)
class RenderedPage:
    """A page ready to serve, and the Content-Security-Policy that allows exactly its inline style."""

    html: str
    csp: str
    language: str = "en"


class LocalPages:
    """A small thread-safe LRU of rendered pages in this process, in front of the shared cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[str, RenderedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> RenderedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: RenderedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


local_pages = LocalPages(LOCAL_PAGES)


class RecentKeys:
    """Order tokens' page keys read recently in this process (a bounded LRU).

    A hot order's version is read from the database at most once per ``TRACKING_PORTAL_KEY_SECONDS``
    per process: a change shows within a second, and a page refreshed many times costs no query.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, tuple[PageKey, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> PageKey | None:
        with self._lock:
            entry = self._keys.get(token)
            if entry is None or time.monotonic() - entry[1] >= settings.TRACKING_PORTAL_KEY_SECONDS:
                return None
            return entry[0]

    def put(self, token: str, key: PageKey) -> None:
        with self._lock:
            self._keys[token] = (key, time.monotonic())
            self._keys.move_to_end(token)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


recent_keys = RecentKeys(RECENT_KEYS)


def page_key_for(token: str) -> PageKey | None:
    """The order's page key, from the database unless this process read it within TRACKING_PORTAL_KEY_SECONDS."""
    key = recent_keys.get(token)
    if key is None:
        key = order_page_key(token=token)
        if key is not None:
            recent_keys.put(token, key)
    return key


def cached_page(key: str) -> RenderedPage | None:
    """The rendered page under ``key``: from this process, else from the shared cache (then kept here)."""
    page = local_pages.get(key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            local_pages.put(key, page)
    return page


def cache_page(key: str, page: RenderedPage) -> None:
    """Keep a freshly rendered page here and in the shared cache for the other processes."""
    local_pages.put(key, page)
    cache.set(key, page, timeout=settings.TRACKING_PORTAL_PAGE_CACHE_SECONDS)


def page_cache_key(*, order_id: int, version: int, branding_stamp: str, language: str) -> str:
    """One cache entry per order version, shop branding version and language."""
    stamp = hashlib.sha256(branding_stamp.encode()).hexdigest()[:16]
    return f"tp:page:{order_id}:{version}:{stamp}:{language}"


def _marketing(placements: Placements | None, *, language: str, shop: Shop) -> dict[str, Any]:
    """Formatted marketing slots (prices, expiry dates) for the template."""
    if placements is None or placements.is_empty:
        return {}
    zone = shop_zone(shop)
    products = [
        {
            "name": product.name,
            "url": web_url(product.url),
            "image_url": web_image_url(product.image_url),
            "price": (
                format_currency(product.price, product.currency, locale=language)
                if product.price is not None and product.currency
                else ""
            ),
        }
        for product in placements.products
    ]
    discount = placements.discount
    return {
        "products": products,
        "banner": placements.banner,
        "discount": discount,
        "discount_expires": (
            format_day(discount.expires_at, language=language, zone=zone) if discount and discount.expires_at else ""
        ),
        "links": placements.links,
        "feedback_prompt": placements.feedback_prompt,
    }


def render_page(
    *,
    shop: Shop,
    page: OrderPage,
    placements: Placements | None = None,
    score: ScorePrompt | None = None,
    lookup_url: str = "",
    return_url: str = "",
    preview: dict | None = None,
) -> RenderedPage:
    """HTML of an order or parcel page with its CSP."""
    context = {
        "shop": shop,
        "page": page,
        "language": page.language,
        "theme_css": page.theme.css,
        "marketing": _marketing(placements, language=page.language, shop=shop),
        "score": score,
        "lookup_url": lookup_url,
        "return_url": return_url,
        "preview": preview,
        # The preview bar has its own language links (they keep the sample scenario).
        "languages": () if preview else page.languages,
        "outbound_count": sum(1 for shipment in page.shipments if not shipment.is_return),
    }
    with translation.override(page.language):
        html = render_to_string("tracking_portal/page.html", context)
    return RenderedPage(
        html=html, csp=content_security_policy(style_sources=style_hash(page.theme.css)), language=page.language
    )


def lookup_url_for(shop: Shop, *, on_custom_domain: bool) -> str:
    """Where customers of ``shop`` look up an order: /track on its own domain, /<slug>/track elsewhere."""
    if on_custom_domain:
        return reverse("tracking_portal:domain_lookup")
    return reverse("tracking_portal:lookup", args=[shop.slug])


def order_page_render(
    *, order: Order, language: str, on_custom_domain: bool, score: ScorePrompt | None = None
) -> RenderedPage:
    """The full page of an order loaded by ``shipments.selectors.order_for_token``."""
    token = order.public_token
    shipments = list(order.shipments.all())
    shop = order.shop

    def carrier_url(index: int, shipment: Shipment) -> str:
        return reverse("tracking_portal:go_carrier", args=[token, index]) if _has_carrier_page(shipment) else ""

    page = order_page_build(
        shop=shop,
        order=order,
        items=list(order.items.all()),
        shipments=[(shipment, list(shipment.events.all())) for shipment in shipments],
        language=language,
        carrier_url_for=carrier_url,
        support_url=reverse("tracking_portal:go_support", args=[token]) if shop.support_url else "",
        incidents=customer_incidents_for(shipment_ids=[shipment.pk for shipment in shipments]),
        learned=learned_windows_for(shipments, now=timezone.now()),
    )
    placements = page_placements(order=order, language=page.language)
    return render_page(
        shop=shop,
        page=page,
        placements=placements,
        score=score,
        lookup_url=lookup_url_for(shop, on_custom_domain=on_custom_domain),
        return_url=return_start_path(order=order, on_custom_domain=on_custom_domain)
        if order_offers_returns(order=order, now=timezone.now())
        else "",
    )


def _has_carrier_page(shipment: Shipment) -> bool:
    return bool(carrier_tracking_url(shipment.carrier, shipment.tracking_number))


def shipment_page_render(*, shipment: Shipment, language: str, on_custom_domain: bool) -> RenderedPage:
    """The tracking-number-only page: status, ETA, pickup point and timeline; no order details or items."""
    token = shipment.public_token

    def carrier_url(index: int, parcel: Shipment) -> str:
        del index
        return reverse("tracking_portal:parcel_go_carrier", args=[token]) if _has_carrier_page(parcel) else ""

    page = order_page_build(
        shop=shipment.shop,
        order=None,
        items=[],
        shipments=[(shipment, list(shipment.events.all()))],
        language=language,
        carrier_url_for=carrier_url,
        support_url="",
        incidents=customer_incidents_for(shipment_ids=[shipment.pk]),
        learned=learned_windows_for([shipment], now=timezone.now()),
    )
    return render_page(
        shop=shipment.shop,
        page=page,
        lookup_url=lookup_url_for(shipment.shop, on_custom_domain=on_custom_domain),
    )


def order_widget_json(*, order: Order, language: str, page_url: str) -> str:
    """The widget's JSON: the status of every parcel, no personal data, no items."""
    page = order_page_build(
        shop=order.shop,
        order=order,
        items=[],
        shipments=[(shipment, list(shipment.events.all())) for shipment in order.shipments.all()],
        language=language,
        carrier_url_for=lambda index, shipment: "",
    )
    shipments = []
    for view in page.shipments:
        latest = view.events[0] if view.events else None
        shipments.append(
            {
                "heading": view.heading,
                "direction": "return" if view.is_return else "outbound",
                "status": view.status,
                "status_label": view.status_label,
                "explanation": view.explanation,
                "attention": view.attention,
                "delivered": view.status == Status.DELIVERED,
                "eta": asdict(view.eta) if view.eta else None,
                "carrier": view.carrier,
                "carrier_name": view.carrier_name,
                "tracking_number": view.tracking_number,
                "pickup_point": asdict(view.pickup) if view.pickup else None,
                "latest_event": asdict(latest) if latest else None,
                "steps": [asdict(step) for step in view.steps],
            }
        )
    body = {
        "order_number": order.number,
        "language": page.language,
        "title": page.title,
        "page_url": page_url,
        "shipments": shipments,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
