"""Absolute links to a return's public page and to the returns portal, for emails, the API and the tracking page."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from returns.models import ReturnRequest
from shipments.models import Order

# Signed "return this order" links skip the lookup; they die once a return was submitted (see the salt's value).
START_LINK_SALT = "returns.start"


def return_page_url(*, token: str, base_url: str | None = None) -> str:
    """The return's confirmation page (code, slip, timeline) for its public ``token``."""
    base = settings.PUBLIC_BASE_URL if base_url is None else base_url
    return f"{base.rstrip('/')}{reverse('returns:detail', args=[token])}"


def return_start_token(*, order: Order) -> str:
    """A signed token naming ``order`` and how many returns it had, so a submitted return spends it."""
    return signing.dumps({"order": order.pk, "returns": order.return_requests.count()}, salt=START_LINK_SALT)


def return_start_path(*, order: Order, on_custom_domain: bool) -> str:
    """The signed start link's path on the platform host (/<slug>/returns/start/...) or the shop's own domain."""
    token = return_start_token(order=order)
    if on_custom_domain:
        return reverse("returns:domain_start", args=[token])
    return reverse("returns:start", args=[order.shop.slug, token])


def return_start_url(*, order: Order, base_url: str | None = None) -> str:
    """The portal link of a delivered order that skips the lookup (tracking page, delivered email)."""
    base = settings.PUBLIC_BASE_URL if base_url is None else base_url
    path = reverse("returns:start", args=[order.shop.slug, return_start_token(order=order)])
    return f"{base.rstrip('/')}{path}"


def return_label_link(*, return_request: ReturnRequest, base_url: str | None = None) -> str:
    """Where the customer prints the label: the token-guarded PDF view, the carrier's own link, or ''."""
    if return_request.label_file:
        base = settings.PUBLIC_BASE_URL if base_url is None else base_url
        return f"{base.rstrip('/')}{reverse('returns:label', args=[return_request.public_token])}"
    return return_request.label_url
