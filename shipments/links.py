"""Absolute links to the public tracking pages and score links, for emails, the API, webhooks, the admin and the demo.

Built with ``reverse()`` by URL name (``tracking_portal:page`` and ``tracking_portal:parcel``), so the
portal owns its routes and this low layer names them without importing the portal. Outside a request
links go to ``settings.PUBLIC_BASE_URL``, the platform host that serves every shop; a page served on a
shop's custom domain passes that host as ``base_url`` so its links stay on the domain the customer used.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from shipments.models import Order, Shipment


def _absolute(path: str, base_url: str | None) -> str:
    base = settings.PUBLIC_BASE_URL if base_url is None else base_url
    return f"{base.rstrip('/')}{path}"


def order_page_url(*, token: str, base_url: str | None = None) -> str:
    """The order tracking page for an order's public ``token`` (for callers that carry only the token)."""
    return _absolute(reverse("tracking_portal:page", args=[token]), base_url)


def order_tracking_url(order: Order, *, base_url: str | None = None) -> str:
    """The absolute URL of ``order``'s tracking page."""
    return order_page_url(token=order.public_token, base_url=base_url)


def shipment_tracking_url(shipment: Shipment, *, base_url: str | None = None) -> str:
    """The absolute URL of ``shipment``'s parcel page (status and journey, no order details)."""
    return _absolute(reverse("tracking_portal:parcel", args=[shipment.public_token]), base_url)


# Score links (/f/<token>?score=N) name the order by its id and an HMAC-SHA256 signature (256 bits) under
# SECRET_KEY, so notifications can put them in the delivered email and the portal on the page without
# storing anything or importing the feedback app; only the signature makes the link unguessable.
FEEDBACK_TOKEN_SALT = "feedback.score"  # noqa: S105 (a signing salt, not a secret)


def feedback_token(*, order_id: int) -> str:
    """The signed, per-order token of the customer's score links."""
    return signing.Signer(salt=FEEDBACK_TOKEN_SALT).sign(str(order_id))


def feedback_token_order_id(token: str) -> int | None:
    """The order id a score-link token was signed for; None when the token is not ours."""
    try:
        value = signing.Signer(salt=FEEDBACK_TOKEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def feedback_score_url(*, order_id: int, score: int | None = None, base_url: str | None = None) -> str:
    """The absolute score link of an order (``?score=N`` pre-fills the page; the page's POST records it)."""
    url = _absolute(reverse("feedback:page", args=[feedback_token(order_id=order_id)]), base_url)
    return url if score is None else f"{url}?score={score}"
