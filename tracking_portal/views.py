"""Public views: the order page, the parcel page, the widget JSON, the lookup, clicks; the admin preview."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from feedback.selectors import sample_score_prompt, score_prompt
from shipments.links import order_tracking_url
from shipments.models import Shipment
from shipments.selectors import order_for_token
from shops.branding import contrast_warnings
from shops.client_ip import client_rate_key
from shops.languages import SUPPORTED_LANGUAGES, language_or_default
from shops.lookup_guard import lookup_quota_take, lookup_secret_matches
from shops.models import FONT_CHOICES, FONT_STACKS, Shop
from shops.public_pages import (
    content_security_policy,
    language_links,
    portal_headers,
    style_hash,
    theme_for,
)
from shops.selectors import shops_for_user
from shops.validators import HEX_COLOUR_RE
from tracking_portal.models import ActivityKind
from tracking_portal.pages import (
    RenderedPage,
    cache_page,
    cached_page,
    lookup_url_for,
    order_page_render,
    order_widget_json,
    page_cache_key,
    page_key_for,
    render_page,
    shipment_page_render,
)
from tracking_portal.presenters import carrier_tracking_url
from tracking_portal.samples import SCENARIOS, sample_page
from tracking_portal.security import cors_allowed_origin, shop_origins
from tracking_portal.selectors import (
    order_for_lookup,
    order_page_key,
    shipment_for_token,
    shipment_for_tracking_number,
    shop_for_lookup,
)
from tracking_portal.services import page_activity_add, page_view_record

MAX_REFERENCE_LENGTH = 64
MAX_SECRET_LENGTH = 254


def _language(request: HttpRequest, default: str) -> str:
    """``?lang=`` when it names a supported language, else the order's (or shop's) language."""
    requested = request.GET.get("lang", "")
    return requested if requested in SUPPORTED_LANGUAGES else language_or_default(default)


def _portal_shop_id(request: HttpRequest) -> int | None:
    return getattr(request, "portal_shop_id", None)


def _host_serves(request: HttpRequest, shop_id: int) -> bool:
    """A shop's custom domain serves only that shop's pages; the platform host serves every shop."""
    portal_shop_id = _portal_shop_id(request)
    return portal_shop_id is None or portal_shop_id == shop_id


def _message_page(
    *, shop: Shop | None, language: str, title: str, body: str, status: int, link: str = ""
) -> HttpResponse:
    """A small branded page for "not found", "too many attempts" and "thank you"."""
    css = theme_for(shop).css if shop is not None else theme_for(Shop()).css
    with translation.override(language):
        html = render_to_string(
            "tracking_portal/message.html",
            {
                "shop": shop,
                "language": language,
                "theme_css": css,
                "title": title,
                "body": body,
                "link": link,
                "languages": (),
            },
        )
    response = HttpResponse(html, status=status)
    return portal_headers(response, csp=content_security_policy(style_sources=style_hash(css)))


def _not_found(request: HttpRequest, shop: Shop | None = None) -> HttpResponse:
    language = _language(request, shop.locale if shop else "en")
    with translation.override(language):
        title = gettext("We could not find this page")
        body = gettext(
            "This tracking link is not valid any more. Use the link from your latest email or look the "
            "order up in the shop."
        )
    return _message_page(shop=shop, language=language, title=title, body=body, status=404)


def _serve(rendered: RenderedPage) -> HttpResponse:
    response = HttpResponse(rendered.html)
    response["Content-Language"] = rendered.language
    return portal_headers(response, csp=rendered.csp)


@require_GET
def order_page(request: HttpRequest, token: str) -> HttpResponse:
    """The tracking page of one order; a cache read per view while the order and branding are unchanged."""
    key = page_key_for(token)
    if key is None or not _host_serves(request, key.shop_id):
        return _not_found(request)
    language = _language(request, key.locale)
    on_custom_domain = _portal_shop_id(request) is not None
    cache_key = page_cache_key(
        order_id=key.order_id, version=key.version, branding_stamp=key.branding_stamp, language=language
    )
    if on_custom_domain:
        cache_key += ":domain"
    rendered = cached_page(cache_key)
    if rendered is None:
        order = order_for_token(token=token)
        if order is None:
            return _not_found(request)
        rendered = order_page_render(
            order=order,
            language=language,
            on_custom_domain=on_custom_domain,
            score=score_prompt(order=order),
        )
        cache_page(cache_key, rendered)
    page_view_record(shop_id=key.shop_id, order_id=key.order_id)
    return _serve(rendered)


@require_GET
def order_json(request: HttpRequest, token: str) -> HttpResponse:
    """The widget's JSON for one order; other sites may read it only from the shop's own domains (CORS)."""
    key = order_page_key(token=token)
    if key is None or not _host_serves(request, key.shop_id):
        response = HttpResponse('{"error":"not_found"}', status=404, content_type="application/json")
        return portal_headers(response, csp="default-src 'none'")
    language = _language(request, key.locale)
    cache_key = "json:" + page_cache_key(
        order_id=key.order_id, version=key.version, branding_stamp=key.branding_stamp, language=language
    )
    cached = cache.get(cache_key)
    if cached is None:
        order = order_for_token(token=token)
        if order is None:
            raise Http404
        # On a shop's custom domain the widget links to the page on that domain, as the request came.
        page_url = order_tracking_url(order, base_url=request.build_absolute_uri("/"))
        cached = (
            order_widget_json(order=order, language=language, page_url=page_url),
            frozenset(shop_origins(order.shop)),
        )
        cache.set(cache_key, cached, timeout=settings.TRACKING_PORTAL_PAGE_CACHE_SECONDS)
    body, allowed_hosts = cached
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    portal_headers(response, csp="default-src 'none'; frame-ancestors 'none'")
    response["Referrer-Policy"] = "no-referrer"
    response["Vary"] = "Origin"
    origin = cors_allowed_origin(request, set(allowed_hosts))
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def parcel_page(request: HttpRequest, token: str) -> HttpResponse:
    """One parcel found by its tracking number: status and journey only, no order details or items."""
    shipment = shipment_for_token(token=token)
    if shipment is None or not _host_serves(request, shipment.shop_id):
        return _not_found(request)
    language = _language(request, shipment.order.effective_locale)
    rendered = shipment_page_render(
        shipment=shipment, language=language, on_custom_domain=_portal_shop_id(request) is not None
    )
    return _serve(rendered)


@require_GET
def go_carrier(request: HttpRequest, token: str, index: str) -> HttpResponse:
    """Record a click on a parcel's carrier link, then go to the carrier's own tracking page."""
    position = int(index)
    order = order_for_token(token=token)
    if order is None or not _host_serves(request, order.shop_id):
        return _not_found(request)
    shipments = sorted(order.shipments.all(), key=lambda shipment: shipment.direction == "return")
    if not 1 <= position <= len(shipments):
        return _not_found(request, order.shop)
    shipment = shipments[position - 1]
    return _to_carrier(request, shipment, shop=order.shop)


@require_GET
def parcel_go_carrier(request: HttpRequest, token: str) -> HttpResponse:
    """The carrier link of the tracking-number-only page (counted on the parcel's order)."""
    shipment = shipment_for_token(token=token)
    if shipment is None or not _host_serves(request, shipment.shop_id):
        return _not_found(request)
    return _to_carrier(request, shipment, shop=shipment.shop)


def _to_carrier(request: HttpRequest, shipment: Shipment, *, shop: Shop) -> HttpResponse:
    """Count the click and go to the carrier's own page for ``shipment`` (or 404 if it has none)."""
    # The target is computed from our own data, never taken from the request: no open redirect.
    target = carrier_tracking_url(shipment.carrier, shipment.tracking_number)
    if not target:
        return _not_found(request, shop)
    page_activity_add(shop_id=shipment.shop_id, order_id=shipment.order_id, kind=ActivityKind.CARRIER_LINK)
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def go_support(request: HttpRequest, token: str) -> HttpResponse:
    """Record a click on the shop's help-centre link, then go there."""
    key = order_page_key(token=token)
    if key is None or not _host_serves(request, key.shop_id):
        return _not_found(request)
    shop = Shop.objects.only("support_url").get(pk=key.shop_id)
    if not shop.support_url:
        return _not_found(request)
    page_activity_add(shop_id=key.shop_id, order_id=key.order_id, kind=ActivityKind.SUPPORT_LINK)
    response = HttpResponseRedirect(shop.support_url)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _lookup_page(request: HttpRequest, *, shop: Shop, language: str, error: str = "") -> HttpResponse:
    """The lookup form; after a failed lookup, the same answer whatever was wrong."""
    css = theme_for(shop).css
    with translation.override(language):
        html = render_to_string(
            "tracking_portal/lookup.html",
            {
                "shop": shop,
                "language": language,
                "theme_css": css,
                "error": error,
                "languages": language_links(language),
                "order_number": request.POST.get("number", "")[:MAX_REFERENCE_LENGTH] if error else "",
                "tracking_number": request.POST.get("tracking_number", "")[:MAX_REFERENCE_LENGTH] if error else "",
            },
            request=request,
        )
    response = HttpResponse(html)
    # Not "no-referrer": a form POST under that policy sends "Origin: null", which CSRF checks refuse.
    portal_headers(response, csp=content_security_policy(style_sources=style_hash(css)))
    response["Referrer-Policy"] = "same-origin"
    return response


def _lookup(request: HttpRequest, shop: Shop) -> HttpResponse:
    language = _language(request, shop.locale)
    if request.method != "POST":
        return _lookup_page(request, shop=shop, language=language)
    by_parcel = "tracking_number" in request.POST
    reference = (request.POST.get("tracking_number" if by_parcel else "number") or "").strip()[:MAX_REFERENCE_LENGTH]
    if by_parcel:
        reference = "".join(reference.split()).upper()
    quota = lookup_quota_take(client_ip=client_rate_key(request), shop_id=shop.pk, reference=reference)
    if not quota.allowed:
        with translation.override(language):
            title = gettext("Too many attempts")
            body = gettext(
                "To protect our customers we limit how often orders can be looked up. Please try again in "
                "%(minutes)s minutes, or use the tracking link from your email."
            ) % {"minutes": max(1, quota.retry_after // 60)}
        response = _message_page(shop=shop, language=language, title=title, body=body, status=429)
        response["Retry-After"] = str(quota.retry_after)
        return response
    if by_parcel:
        shipment = shipment_for_tracking_number(shop_id=shop.pk, tracking_number=reference) if reference else None
        if shipment is not None:
            target = reverse("tracking_portal:parcel", args=[shipment.public_token])
            return HttpResponseRedirect(f"{target}?lang={language}", status=303)
        with translation.override(language):
            error = gettext("We could not find a parcel with this tracking number in this shop.")
        return _lookup_page(request, shop=shop, language=language, error=error)
    secret = (request.POST.get("secret") or "")[:MAX_SECRET_LENGTH]
    # Always the same work: one query and two constant-time comparisons, whether or not the order exists.
    order = order_for_lookup(shop_id=shop.pk, number=reference)
    if lookup_secret_matches(order=order, secret=secret):
        assert order is not None
        target = reverse("tracking_portal:page", args=[order.public_token])
        return HttpResponseRedirect(f"{target}?lang={language}", status=303)
    with translation.override(language):
        error = gettext(
            "We could not find an order with these details. Check the order number and the email address "
            "or postcode from your order confirmation."
        )
    return _lookup_page(request, shop=shop, language=language, error=error)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """/<shop>/track: find an order by number + email or postcode, or a parcel by its tracking number."""
    shop = shop_for_lookup(slug=shop_slug)
    if shop is None or not _host_serves(request, shop.pk):
        return _not_found(request)
    return _lookup(request, shop)


@require_http_methods(["GET", "POST"])
def domain_lookup(request: HttpRequest) -> HttpResponse:
    """/track on a shop's custom domain."""
    shop_id = _portal_shop_id(request)
    shop = shop_for_lookup(shop_id=shop_id) if shop_id else None
    if shop is None:
        return _not_found(request)
    return _lookup(request, shop)


@staff_member_required
@require_GET
def preview(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The shop's tracking page with sample (unsaved) data, for its members in the admin.

    Colours and font can be tried out before saving (``?primary_color=%23...``): they are applied to
    the in-memory shop only, with the same WCAG contrast warnings the admin gives on save.
    """
    shop = shops_for_user(user=request.user).filter(pk=shop_id).first()
    if shop is None:
        raise Http404
    trial = branding_trial(request.GET)
    for name, value in trial.items():
        setattr(shop, name, value)
    language = _language(request, shop.locale)
    scenario = request.GET.get("scenario", "")
    if scenario not in SCENARIOS:
        scenario = next(iter(SCENARIOS))
    page, placements = sample_page(shop=shop, language=language, scenario=scenario)

    def link(**changes: str) -> str:
        return "?" + urlencode({**trial, "lang": language, "scenario": scenario, **changes})

    rendered = render_page(
        shop=shop,
        page=page,
        placements=placements,
        score=sample_score_prompt(scale=shop.feedback_scale),
        lookup_url=lookup_url_for(shop, on_custom_domain=False),
        preview={
            "scenarios": [(code, label, link(scenario=code), code == scenario) for code, label in SCENARIOS.items()],
            "languages": [(item.code, item.name, link(lang=item.code), item.current) for item in page.languages],
            "colours": [(name, label, getattr(shop, name)) for name, label in TRIAL_COLOURS.items()],
            "fonts": [(code, label, code == shop.font) for code, label in FONT_CHOICES],
            "language": language,
            "scenario": scenario,
            "warnings": contrast_warnings(
                primary=shop.primary_color,
                accent=shop.accent_color,
                background=shop.background_color,
                text=shop.text_color,
            ),
            "trial": bool(trial),
        },
    )
    response = _serve(rendered)
    response["Referrer-Policy"] = "same-origin"
    return response


TRIAL_COLOURS = {
    "primary_color": "Primary",
    "accent_color": "Accent",
    "background_color": "Background",
    "text_color": "Text",
}


def branding_trial(params: QueryDict) -> dict[str, str]:
    """Valid colour and font values from the preview's query string; anything else is ignored."""
    trial = {}
    for name in TRIAL_COLOURS:
        value = params.get(name, "")
        if HEX_COLOUR_RE.match(value):
            trial[name] = value.upper()
    if params.get("font", "") in FONT_STACKS:
        trial["font"] = params["font"]
    return trial
