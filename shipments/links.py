"""Absolute links to the public tracking pages, for emails, the API, webhooks, the admin and the demo.

Built with ``reverse()`` by URL name (``tracking_portal:page`` and ``tracking_portal:parcel``), so the
portal owns its routes and this low layer names them without importing the portal. Outside a request
links go to ``settings.PUBLIC_BASE_URL``, the platform host that serves every shop; a page served on a
shop's custom domain passes that host as ``base_url`` so its links stay on the domain the customer used.
"""

from django.conf import settings
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
