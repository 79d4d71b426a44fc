"""The public returns portal: lookup, the return form, the confirmation page with the code, the printable slip.

The lookup follows the tracking lookup's rules (shops.lookup_guard): one quota per client and per order,
and the same answer and work whether the order is unknown or the email/postcode is wrong. A successful
lookup, like the link on the tracking page, leads to a signed start link that dies once a return is
submitted.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from returns.dropoff import dropoff_points_for
from returns.links import return_label_link, return_start_path
from returns.models import Resolution, ReturnMethod, ReturnRequest, ReturnState
from returns.rules import item_allowances, return_rule_for, return_settings_for, today_for, window_refusal
from returns.selectors import exchange_choices, order_for_start_token, return_for_token, return_reasons_for
from returns.services import ReturnLine, offered_methods, return_request_create
from returns.texts import distance_text, method_label, money_text, resolution_label, state_label
from shipments.models import Order
from shops.client_ip import client_rate_key
from shops.languages import SUPPORTED_LANGUAGES, language_or_default
from shops.lookup_guard import lookup_quota_take, lookup_secret_matches
from shops.models import Shop
from shops.public_pages import content_security_policy, language_links, portal_headers, style_hash, theme_for

MAX_REFERENCE_LENGTH = 64
MAX_SECRET_LENGTH = 254
MAX_LINES = 50
# The code is what the customer types at a locker: large and spaced, readable off a phone held at arm's length.
RETURNS_CSS = ".return-code{font-size:2.25rem;font-weight:700;letter-spacing:.15em;font-family:monospace}"


def _language(request: HttpRequest, default: str) -> str:
    requested = request.GET.get("lang", "")
    return requested if requested in SUPPORTED_LANGUAGES else language_or_default(default)


def _render(
    request: HttpRequest, template: str, *, shop: Shop, language: str, status: int = 200, **context: object
) -> HttpResponse:
    css = theme_for(shop).css + RETURNS_CSS
    with translation.override(language):
        html = render_to_string(
            template,
            {
                "shop": shop,
                "language": language,
                "theme_css": css,
                "languages": language_links(language),
                "state_label": state_label,
                "resolution_label": resolution_label,
                "method_label": method_label,
                "distance_text": distance_text,
                "money_text": money_text,
                **context,
            },
            request=request,
        )
    response = HttpResponse(html, status=status)
    response["Content-Language"] = language
    portal_headers(response, csp=content_security_policy(style_sources=style_hash(css)))
    # Not "no-referrer": a form POST under that policy sends "Origin: null", which CSRF checks refuse.
    response["Referrer-Policy"] = "same-origin"
    return response


def _shop_for(request: HttpRequest, slug: str | None) -> Shop:
    """The active shop of the URL; a custom domain serves only its own shop."""
    portal_shop_id = getattr(request, "portal_shop_id", None)
    shops = Shop.objects.filter(is_active=True)
    shop = shops.filter(slug=slug).first() if slug is not None else shops.filter(pk=portal_shop_id).first()
    if shop is None or (portal_shop_id is not None and portal_shop_id != shop.pk):
        raise Http404
    return shop


@require_http_methods(["GET", "POST"])
def portal(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """/<shop>/returns: find the order to return by its number and the email or postcode."""
    return _lookup(request, _shop_for(request, shop_slug))


@require_http_methods(["GET", "POST"])
def domain_portal(request: HttpRequest) -> HttpResponse:
    """/returns on a shop's custom domain."""
    if getattr(request, "portal_shop_id", None) is None:
        raise Http404
    return _lookup(request, _shop_for(request, None))


def _lookup(request: HttpRequest, shop: Shop) -> HttpResponse:
    language = _language(request, shop.locale)
    if request.method != "POST":
        return _render(request, "returns/lookup.html", shop=shop, language=language, error="", order_number="")
    number = (request.POST.get("number") or "").strip()[:MAX_REFERENCE_LENGTH]
    quota = lookup_quota_take(client_ip=client_rate_key(request), shop_id=shop.pk, reference=number)
    if not quota.allowed:
        with translation.override(language):
            error = gettext(
                "To protect our customers we limit how often orders can be looked up. Please try again in "
                "%(minutes)s minutes, or use the tracking link from your email."
            ) % {"minutes": max(1, quota.retry_after // 60)}
        response = _render(
            request, "returns/lookup.html", shop=shop, language=language, status=429, error=error, order_number=""
        )
        response["Retry-After"] = str(quota.retry_after)
        return response
    secret = (request.POST.get("secret") or "")[:MAX_SECRET_LENGTH]
    # Always the same work: one query and two constant-time comparisons, whether or not the order exists.
    order = (
        Order.objects.filter(shop_id=shop.pk, number=number)
        .only("pk", "shop_id", "customer_email", "shipping_postcode")
        .first()
    )
    if lookup_secret_matches(order=order, secret=secret):
        assert order is not None
        order.shop = shop
        path = return_start_path(order=order, on_custom_domain=getattr(request, "portal_shop_id", None) is not None)
        return HttpResponseRedirect(f"{path}?lang={language}", status=303)
    with translation.override(language):
        error = gettext(
            "We could not find an order with these details. Check the order number and the email address "
            "or postcode from your order confirmation."
        )
    return _render(request, "returns/lookup.html", shop=shop, language=language, error=error, order_number=number)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, shop_slug: str, token: str) -> HttpResponse:
    """The return form of the order a signed link names: items, quantities, reasons, photos, resolution, method."""
    return _start(request, _shop_for(request, shop_slug), token)


@require_http_methods(["GET", "POST"])
def domain_start(request: HttpRequest, token: str) -> HttpResponse:
    """The return form on a shop's custom domain."""
    if getattr(request, "portal_shop_id", None) is None:
        raise Http404
    return _start(request, _shop_for(request, None), token)


def _start(request: HttpRequest, shop: Shop, token: str) -> HttpResponse:
    order = order_for_start_token(shop_id=shop.pk, token=token)
    language = _language(request, order.effective_locale if order else shop.locale)
    if order is None:
        with translation.override(language):
            error = gettext("This return link is not valid any more. Look your order up again.")
        return _render(
            request, "returns/lookup.html", shop=shop, language=language, status=404, error=error, order_number=""
        )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        with translation.override(language):
            try:
                return_request = return_request_create(
                    order=order,
                    lines=_lines_from(request),
                    resolution=request.POST.get("resolution", ""),
                    method=request.POST.get("method", ""),
                    customer_note=request.POST.get("note", ""),
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                target = reverse("returns:detail", args=[return_request.public_token])
                return HttpResponseRedirect(f"{target}?lang={language}", status=303)
    rule = return_rule_for(order=order)
    with translation.override(language):
        refusal = window_refusal(order=order, rule=rule, today=today_for(order=order, now=timezone.now()))
        allowances = [] if refusal else item_allowances(order=order, rule=rule)
    methods = offered_methods(shop_id=shop.pk)
    conf = return_settings_for(shop_id=shop.pk)
    return _render(
        request,
        "returns/start.html",
        shop=shop,
        language=language,
        status=400 if errors else 200,
        order=order,
        refusal=refusal,
        allowances=allowances,
        reasons=list(return_reasons_for(shop_id=shop.pk)),
        resolutions=Resolution.values,
        methods=[value for value in ReturnMethod.values if value in methods],
        exchange_choices={
            allowance.order_item.pk: exchange_choices(shop_id=shop.pk, order_item=allowance.order_item)
            for allowance in allowances
            if not allowance.refusal
        },
        credit_bonus=conf.store_credit_bonus_percent if conf.store_credit_pool_id else 0,
        points=dropoff_points_for(order=order, method=ReturnMethod.INPOST_CODE)
        if ReturnMethod.INPOST_CODE in methods and not refusal
        else [],
        fee=rule.fee if rule else 0,
        errors=errors,
        posted=request.POST,
    )


def _lines_from(request: HttpRequest) -> list[ReturnLine]:
    """The chosen lines: ``qty-<item id>`` above zero, with ``reason-<item id>`` and ``photo-<item id>``."""
    lines = []
    for key, value in list(request.POST.items())[: MAX_LINES * 4]:
        if not key.startswith("qty-"):
            continue
        item_id, quantity = _int(key[4:]), _int(value)
        if item_id is None or not quantity:
            continue
        lines.append(
            ReturnLine(
                order_item_id=item_id,
                quantity=quantity,
                reason_id=_int(request.POST.get(f"reason-{item_id}", "")) or 0,
                photo=request.FILES.get(f"photo-{item_id}"),
                exchange_sku=(request.POST.get(f"exchange-{item_id}") or "")[:64],
            )
        )
    return lines[:MAX_LINES]


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
def detail(request: HttpRequest, token: str) -> HttpResponse:
    """/returns/<token>: the return's state, its code (large, with its expiry) or the address, and its timeline."""
    return _return_page(request, token, "returns/detail.html")


@require_GET
def slip(request: HttpRequest, token: str) -> HttpResponse:
    """/returns/<token>/slip: the printable return slip to put in the parcel."""
    return _return_page(request, token, "returns/slip.html")


@require_GET
def label(request: HttpRequest, token: str) -> FileResponse:
    """/returns/<token>/label.pdf: the shop's uploaded label, only for whoever holds the return's token."""
    return_request = _return_for(request, token)
    if not return_request.label_file:
        raise Http404
    response = FileResponse(
        return_request.label_file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"return-label-{return_request.order.number}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _return_for(request: HttpRequest, token: str) -> ReturnRequest:
    """The return of ``token``; 404 when there is none or a custom domain serves another shop."""
    return_request = return_for_token(token=token)
    portal_shop_id = getattr(request, "portal_shop_id", None)
    if return_request is None or (portal_shop_id is not None and portal_shop_id != return_request.shop_id):
        raise Http404
    return return_request


def _return_page(request: HttpRequest, token: str, template: str) -> HttpResponse:
    return_request = _return_for(request, token)
    shop = return_request.shop
    language = _language(request, return_request.order.effective_locale)
    return _render(
        request,
        template,
        shop=shop,
        language=language,
        return_request=return_request,
        issued=return_request.state not in (ReturnState.REQUESTED, ReturnState.REJECTED),
        return_address=return_settings_for(shop_id=shop.pk).return_address,
        label_link=return_label_link(return_request=return_request, base_url=""),
    )
