"""Unsubscribe links and suppressions: signed one-click tokens, and the addresses a shop must not email."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications.models import Suppression

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_url_for(*, shop_id: int, email: str) -> str:
    """The signed one-click unsubscribe link of one address at one shop."""
    token = signing.dumps({"s": shop_id, "e": email.strip().lower()}, salt=UNSUBSCRIBE_SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:unsubscribe', args=[token])}"


def unsubscribe_token_parse(*, token: str) -> tuple[int, str] | None:
    """(shop id, email) of a valid unsubscribe token, or None when it was tampered with."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(payload["s"]), str(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def suppression_add(*, shop_id: int, email: str, reason: str) -> Suppression:
    """Stop emailing ``email`` from this shop (idempotent: the first reason is kept)."""
    suppression, _ = Suppression.objects.get_or_create(
        shop_id=shop_id, email=email.strip().lower(), defaults={"reason": reason}
    )
    return suppression


def is_suppressed(*, shop_id: int, email: str) -> bool:
    """Whether this shop must not email ``email`` any more."""
    return Suppression.objects.filter(shop_id=shop_id, email=email.strip().lower()).exists()
