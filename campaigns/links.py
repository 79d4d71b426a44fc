"""Signed click tracking: every marketing link in emails and on the page goes through ``/r/<token>``.

:func:`tracked_url` (called by the tracking page, the emails and this app) signs the target URL with
the order, shop, source, campaign, variant and message into a token; :func:`click_redirect` checks the
signature, records a :class:`~campaigns.models.Click` and redirects to the target with UTM parameters.
A missing, tampered, expired or foreign token is a 400 and never redirects anywhere: the target only
ever comes from inside a valid signature, so the endpoint cannot be used as an open redirect.

Only the shop's own sites are redirected to: the host of its website, its custom domain (and their
subdomains) and the hosts of its catalog's product URLs. A link to any other site opens a page on our
domain that names the site and asks the customer to continue, so a shop cannot use the platform's
domain to bounce people to a site of its choosing.

Links expire after ``CAMPAIGN_LINK_MAX_AGE_DAYS`` (default 180 days): long enough for an email opened
months later, short enough that a leaked link does not live for ever. They carry no personal data (ids only).
"""

import logging
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from campaigns.models import Campaign, Click, ClickSource, Product
from shipments.models import Order
from shops.languages import language_or_default
from shops.models import Shop

logger = logging.getLogger(__name__)

CLICK_SALT = "campaigns.click.v1"
UTM_SOURCE = "parcelfront"
UTM_MEDIUM = {ClickSource.EMAIL: "email", ClickSource.PAGE: "tracking_page"}
TRANSACTIONAL_CAMPAIGN = "transactional"
ALLOWED_SCHEMES = {"http", "https"}


class ClickTarget:
    """What a valid token says: where to go and what to attribute the click to."""

    __slots__ = ("campaign_id", "message_id", "order_id", "shop_id", "source", "target_url", "variant")

    def __init__(
        self,
        *,
        target_url: str,
        order_id: int,
        shop_id: int,
        source: str,
        campaign_id: int | None,
        variant: str,
        message_id: int | None,
    ) -> None:
        self.target_url = target_url
        self.order_id = order_id
        self.shop_id = shop_id
        self.source = source
        self.campaign_id = campaign_id
        self.variant = variant
        self.message_id = message_id


def _check_target(target_url: str) -> str:
    parts = urlsplit(target_url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise ValueError(f"only absolute http(s) URLs can be tracked, not {target_url!r}")
    return target_url


def tracked_url(
    *,
    target_url: str,
    order: Order,
    source: str,
    campaign_id: int | None = None,
    variant: str = "",
    message_id: int | None = None,
) -> str:
    """An absolute ``PUBLIC_BASE_URL/r/<token>`` link that records a click and then opens ``target_url``.

    ``source`` is ``"email"`` or ``"page"``. ``target_url`` must be an absolute http(s) URL
    (ValueError otherwise), so a mistyped ``javascript:`` link can never be signed.
    """
    if source not in UTM_MEDIUM:
        raise ValueError(f"source must be 'email' or 'page', not {source!r}")
    payload = {
        "u": _check_target(target_url),
        "o": order.pk,
        "s": order.shop_id,
        "src": source,
        "c": campaign_id,
        "v": variant,
        "m": message_id,
    }
    token = signing.dumps(payload, salt=CLICK_SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL}{reverse('campaigns:click', args=[token])}"


def click_target_for_token(*, token: str) -> ClickTarget | None:
    """The click a token describes, or None when it is missing, malformed or tampered with."""
    try:
        payload = signing.loads(token, salt=CLICK_SALT, max_age=link_max_age())
        target = ClickTarget(
            target_url=_check_target(str(payload["u"])),
            order_id=int(payload["o"]),
            shop_id=int(payload["s"]),
            source=str(payload["src"]),
            campaign_id=int(payload["c"]) if payload.get("c") is not None else None,
            variant=str(payload.get("v") or "")[:16],
            message_id=int(payload["m"]) if payload.get("m") is not None else None,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if target.source not in UTM_MEDIUM:
        return None
    return target


def link_max_age() -> timedelta:
    """How long a tracked link works after it was made (``CAMPAIGN_LINK_MAX_AGE_DAYS``, default 180)."""
    return timedelta(days=int(getattr(settings, "CAMPAIGN_LINK_MAX_AGE_DAYS", 180)))


def _bare(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


def target_is_own_site(*, shop: Shop, target_url: str) -> bool:
    """Whether ``target_url`` is on one of the shop's own sites (website, custom domain, catalog hosts)."""
    host = (urlsplit(target_url).hostname or "").lower()
    if not host:
        return False
    for own in (urlsplit(shop.website_url).hostname or "", shop.custom_domain or ""):
        own = _bare(own)
        if own and (_bare(host) == own or host.endswith(f".{own}")):
            return True
    on_host = Q()
    for scheme in ("https", "http"):
        on_host |= Q(url__istartswith=f"{scheme}://{host}/") | Q(url__iexact=f"{scheme}://{host}")
    return Product.objects.filter(on_host, shop=shop).exists()


def with_utm(*, target_url: str, source: str, campaign_slug: str) -> str:
    """``target_url`` with utm_source/medium/campaign added; UTM values the shop already put there win."""
    parts = urlsplit(target_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    for key, value in (
        ("utm_source", UTM_SOURCE),
        ("utm_medium", UTM_MEDIUM[source]),
        ("utm_campaign", campaign_slug),
    ):
        if key not in present:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _campaign_slug(*, target: ClickTarget) -> tuple[Campaign | None, str]:
    # Looked up within the token's shop only; a deleted campaign is attributed to nothing.
    if target.campaign_id is None:
        return None, TRANSACTIONAL_CAMPAIGN
    campaign = Campaign.objects.filter(pk=target.campaign_id, shop_id=target.shop_id).only("pk", "slug").first()
    return campaign, campaign.slug if campaign is not None else TRANSACTIONAL_CAMPAIGN


def click_record(*, target: ClickTarget) -> tuple[Click | None, str]:
    """Store the click and return it with the campaign slug for ``utm_campaign``.

    A deleted order or campaign still redirects (the link was valid when sent) but is attributed to
    nothing; a deleted shop records nothing.
    """
    campaign, slug = _campaign_slug(target=target)
    order_id = Order.objects.filter(pk=target.order_id, shop_id=target.shop_id).values_list("pk", flat=True).first()
    if order_id is None and not Shop.objects.filter(pk=target.shop_id).exists():
        return None, slug
    click = Click.objects.create(
        shop_id=target.shop_id,
        order_id=order_id,
        campaign=campaign,
        variant=target.variant if campaign is not None else "",
        message_id=target.message_id,
        source=target.source,
        target_url=target.target_url[:2000],
    )
    return click, slug


@never_cache
@require_safe
def click_redirect(request: HttpRequest, token: str) -> HttpResponse:
    """``GET /r/<token>``: record the click, then redirect to the shop's own site or show the leaving page.

    A bad, expired or deleted shop's token is a 400, never a redirect.

    HEAD requests (link checkers, mail scanners probing) redirect without counting a click.
    """
    target = click_target_for_token(token=token)
    if target is None:
        return HttpResponseBadRequest(
            "This link is not valid or has expired.", content_type="text/plain; charset=utf-8"
        )
    shop = Shop.objects.filter(pk=target.shop_id).first()
    if shop is None:
        return HttpResponseBadRequest(
            "This link is not valid or has expired.", content_type="text/plain; charset=utf-8"
        )
    if request.method == "HEAD":
        _, campaign_slug = _campaign_slug(target=target)
    else:
        _, campaign_slug = click_record(target=target)
    destination = with_utm(target_url=target.target_url, source=target.source, campaign_slug=campaign_slug)
    if target_is_own_site(shop=shop, target_url=target.target_url):
        response = HttpResponseRedirect(destination)
    else:
        response = _leaving_page(request, shop=shop, target=target, destination=destination)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _leaving_page(request: HttpRequest, *, shop: Shop, target: ClickTarget, destination: str) -> HttpResponse:
    # Another site than the shop's own: say where the link goes and let the customer choose.
    order = Order.objects.filter(pk=target.order_id, shop=shop).first()
    language = language_or_default(order.effective_locale if order is not None else shop.locale)
    with translation.override(language):
        response = render(
            request,
            "campaigns/leaving.html",
            {
                "language": language,
                "shop": shop,
                "host": urlsplit(destination).hostname or "",
                "destination": destination,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response
