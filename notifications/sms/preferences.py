"""The customer's contact preferences: email and SMS, service and marketing, behind an unguessable link.

Every message links to ``/m/<token>`` (128 random bits, one token per order). Service messages off:
the address is suppressed (email) or the number opted out (SMS) for the shop. Marketing: the order's
email and SMS marketing consents, each stamped with when it was given.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from notifications.models import Suppression, SuppressionReason
from notifications.sms.models import PreferencesLink, SmsOptOut, SmsOptOutReason
from notifications.unsubscribe import is_suppressed, suppression_add
from shipments.models import Order
from shops.phones import phone_normalize

TOKEN_BYTES = 16  # 128 bits, 22 characters: short enough for an SMS


def preferences_url_for(*, order: Order | None) -> str:
    """The absolute link to the order's preferences page (a made-up one for previews when ``order`` is None)."""
    if order is None:
        return _preferences_url("x" * 22)
    return preferences_urls_for(order_ids=[order.pk])[order.pk]


def preferences_urls_for(*, order_ids: Iterable[int]) -> dict[int, str]:
    """The preferences links of several orders, each created on first use: one query when all exist, three at most."""
    wanted = set(order_ids)
    tokens = dict(PreferencesLink.objects.filter(order_id__in=wanted).values_list("order_id", "token"))
    if missing := wanted - tokens.keys():
        # A concurrent creation wins the order's one row; the read that follows finds whichever won.
        new = [PreferencesLink(order_id=pk, token=secrets.token_urlsafe(TOKEN_BYTES)) for pk in missing]
        PreferencesLink.objects.bulk_create(new, ignore_conflicts=True)
        tokens.update(PreferencesLink.objects.filter(order_id__in=missing).values_list("order_id", "token"))
    return {order_id: _preferences_url(token) for order_id, token in tokens.items()}


def preferences_link_for(*, order: Order) -> PreferencesLink:
    """The order's preferences link, created on first use (a concurrent creation reads the winner)."""
    preferences_urls_for(order_ids=[order.pk])
    return PreferencesLink.objects.get(order=order)


def _preferences_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:preferences', args=[token])}"


def order_for_preferences_token(*, token: str) -> Order | None:
    """The order whose preferences page ``token`` opens, or None."""
    link = PreferencesLink.objects.select_related("order__shop").filter(token=token).first()
    return link.order if link is not None else None


@dataclass(frozen=True)
class ContactPreferences:
    """What the customer of one order receives, per channel and kind."""

    email_service: bool
    email_marketing: bool
    sms_service: bool
    sms_marketing: bool


def preferences_of(*, order: Order) -> ContactPreferences:
    """The order's customer's current preferences."""
    phone = _phone(order)
    return ContactPreferences(
        email_service=not (order.customer_email and is_suppressed(shop_id=order.shop_id, email=order.customer_email)),
        email_marketing=order.email_marketing_consent,
        sms_service=not (phone and SmsOptOut.objects.filter(shop_id=order.shop_id, phone=phone).exists()),
        sms_marketing=order.sms_marketing_consent,
    )


def sms_opt_out_add(*, shop_id: int, phone: str, reason: str) -> SmsOptOut:
    """Stop texting ``phone`` (E.164) from this shop (idempotent: the first reason is kept)."""
    opt_out, _ = SmsOptOut.objects.get_or_create(shop_id=shop_id, phone=phone, defaults={"reason": reason})
    return opt_out


@transaction.atomic
def preferences_update(*, order: Order, preferences: ContactPreferences) -> None:
    """Store the customer's choices: suppress or release the address and number, set both consents."""
    email = order.customer_email.strip().lower()
    if email:
        if preferences.email_service:
            # Only the customer's own unsubscribe is undone here; bounces and complaints stay.
            Suppression.objects.filter(
                shop_id=order.shop_id, email=email, reason=SuppressionReason.UNSUBSCRIBED
            ).delete()
        else:
            suppression_add(shop_id=order.shop_id, email=email, reason=SuppressionReason.UNSUBSCRIBED)
    phone = _phone(order)
    if phone:
        if preferences.sms_service:
            SmsOptOut.objects.filter(
                shop_id=order.shop_id, phone=phone, reason__in=[SmsOptOutReason.PREFERENCES, SmsOptOutReason.STOP]
            ).delete()
        else:
            sms_opt_out_add(shop_id=order.shop_id, phone=phone, reason=SmsOptOutReason.PREFERENCES)
    order.email_marketing_consent = preferences.email_marketing
    order.sms_marketing_consent = preferences.sms_marketing
    order.save(
        update_fields=[
            "email_marketing_consent",
            "email_marketing_consent_at",
            "sms_marketing_consent",
            "sms_marketing_consent_at",
            "updated_at",
        ]
    )


def _phone(order: Order) -> str:
    return phone_normalize(raw=order.customer_phone, country=order.shipping_country).e164
