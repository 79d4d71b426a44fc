"""Unsubscribe links and suppressions: signed one-click tokens, and the addresses a shop must not email."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications.models import Message, Suppression
from shops.privacy import subject_hash

# The token signs a message id only: the link shows neither the address nor the shop.
UNSUBSCRIBE_MESSAGE_SALT = "notifications.unsubscribe.message"
# Tokens of emails sent before: base64 JSON carrying the address. Still honoured so the unsubscribe
# links in emails already delivered keep working (a refused unsubscribe is worse than a readable one).
LEGACY_UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_url_for(*, message_id: int) -> str:
    """The signed one-click unsubscribe link in one message (it unsubscribes that message's address)."""
    token = signing.Signer(salt=UNSUBSCRIBE_MESSAGE_SALT).sign(str(message_id))
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:unsubscribe', args=[token])}"


def unsubscribe_token_parse(*, token: str) -> tuple[int, str] | None:
    """(shop id, email) of a valid unsubscribe token, or None when it was tampered with or its message is gone."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_MESSAGE_SALT).unsign(token)
    except signing.BadSignature:
        return _legacy_token_parse(token)
    if not value.isdigit():
        return None
    row = Message.objects.filter(pk=int(value)).values_list("shop_id", "to_email").first()
    return (row[0], row[1].strip().lower()) if row else None


def _legacy_token_parse(token: str) -> tuple[int, str] | None:
    try:
        payload = signing.loads(token, salt=LEGACY_UNSUBSCRIBE_SALT)
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
    """Whether this shop must not email ``email`` any more (an erased customer's opt-out is kept as a hash)."""
    return bool(suppressed_among(pairs=[(shop_id, email)]))


def suppressed_among(*, pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the (shop id, email) ``pairs`` are suppressed, in one query; emails come back as given."""
    wanted: dict[tuple[int, str], tuple[int, str]] = {}
    for shop_id, email in pairs:
        address = email.strip().lower()
        wanted[(shop_id, address)] = wanted[(shop_id, subject_hash(address))] = (shop_id, email)
    if not wanted:
        return set()
    stored = Suppression.objects.filter(
        shop_id__in={shop_id for shop_id, _ in wanted}, email__in={email for _, email in wanted}
    ).values_list("shop_id", "email")
    return {wanted[row] for row in stored if row in wanted}
