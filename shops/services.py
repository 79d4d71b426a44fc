"""Writes for tenants: creating shops and members, issuing and revoking API keys."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from shops.models import ApiKey, Membership, Role, Shop

API_KEY_SCHEME = "pf"


def _hash_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain SHA-256 is enough (no slow hash needed).
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    """An API key as issued: the raw value exists only here, never in the database."""

    api_key: ApiKey
    raw_key: str


def api_key_create(*, shop: Shop, name: str) -> IssuedApiKey:
    """Issue a new API key for ``shop``; the raw key must be shown once and then forgotten."""
    api_key = ApiKey(shop=shop, name=name)
    raw_key = f"{API_KEY_SCHEME}_{api_key.prefix}_{secrets.token_urlsafe(32)}"
    api_key.key_hash = _hash_key(raw_key)
    api_key.full_clean(exclude=["key_hash", "prefix"])
    api_key.save()
    return IssuedApiKey(api_key=api_key, raw_key=raw_key)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key`` (recording its use), or None. Constant-time compare."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_SCHEME:
        return None
    api_key = ApiKey.objects.select_related("shop").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(raw_key)):
        return None
    if not api_key.shop.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute per key: a busy integration should not turn reads into writes.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke ``api_key`` at once; revoking twice keeps the first time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])


def member_add(*, shop: Shop, user: AbstractUser, role: Role | str) -> Membership:
    """Give ``user`` a role in ``shop`` (replacing an earlier role) and let them into the admin."""
    role = Role(role)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    membership, _ = Membership.objects.update_or_create(user=user, shop=shop, defaults={"role": role})
    return membership


@dataclass(frozen=True)
class CreatedShop:
    shop: Shop
    owner: AbstractUser
    issued_key: IssuedApiKey


@transaction.atomic
def shop_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None = None,
    locale: str = "pl",
    timezone_name: str = "Europe/Warsaw",
    **fields: object,
) -> CreatedShop:
    """Create a shop, its owner (or reuse the user with that email) and a first API key.

    Everything happens in one transaction: a taken slug or a bad field stores nothing.
    """
    try:
        validate_email(owner_email)
    except ValidationError as error:
        raise ValidationError({"owner_email": f"{owner_email!r} is not a valid email address."}) from error
    if Shop.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug {slug!r} is taken by another shop."}, code="unique")
    shop = Shop(name=name, slug=slug, locale=locale, timezone=timezone_name, **fields)
    shop.full_clean()
    shop.save()

    user_model = get_user_model()
    owner = user_model.objects.filter(email__iexact=owner_email).first()
    if owner is None:
        owner = user_model(username=owner_email.lower(), email=owner_email.lower())
        if owner_password:
            owner.set_password(owner_password)
        else:
            owner.set_unusable_password()
        owner.full_clean()
        owner.save()
    member_add(shop=shop, user=owner, role=Role.OWNER)
    issued_key = api_key_create(shop=shop, name="Default key")
    return CreatedShop(shop=shop, owner=owner, issued_key=issued_key)
