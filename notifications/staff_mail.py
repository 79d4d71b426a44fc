"""Emails to a shop's own staff (alerts, reports): plain text, optional HTML with inline PNG images.

Customer messages go through the outbox (``notifications.outbox``); staff emails have no order or
trigger row, so the asking app keeps its own once-only row and calls this after it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import MIMEPart

from django.core.mail import EmailMultiAlternatives

from shops.models import Shop


def staff_email_send(
    *,
    shop: Shop,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    inline_images: Mapping[str, bytes] | None = None,
) -> int:
    """Send one email to ``recipients`` of ``shop``'s staff; ``inline_images`` maps a content id (used as
    ``cid:<id>`` in ``html``) to PNG bytes. Returns how many emails went out (0 with nobody to write to)."""
    if not recipients:
        return 0
    email = EmailMultiAlternatives(
        subject=subject, body=text, to=list(recipients), headers={"X-Parcelfront-Shop": str(shop.pk)}
    )
    if html:
        email.attach_alternative(html, "text/html")
    for content_id, png in (inline_images or {}).items():
        image = MIMEPart()
        image.set_content(
            png,
            maintype="image",
            subtype="png",
            disposition="inline",
            filename=f"{content_id}.png",
            cid=f"<{content_id}>",
        )
        email.attach(image)
    return email.send()
