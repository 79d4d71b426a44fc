"""Writes for tenants: creating shops, inviting members, issuing and revoking API keys.

Nobody sets another person's password: people join through an emailed, single-use, expiring link.
Whoever opens it proves they read that mailbox, so accepting sets the password of the account with
that email (creating it when new), which also ends the account's other sessions.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from shops.audit import audit_record
from shops.models import ApiKey, AuditAction, Invitation, Membership, Role, Shop, token_digest
from shops.selectors import invitation_accepted_for

API_KEY_SCHEME = "pf"


@dataclass(frozen=True)
class IssuedApiKey:
    """An API key as issued: the raw value exists only here, never in the database."""

    api_key: ApiKey
    raw_key: str


def api_key_create(*, shop: Shop, name: str) -> IssuedApiKey:
    """Issue a new API key for ``shop``; the raw key must be shown once and then forgotten."""
    api_key = ApiKey(shop=shop, name=name)
    raw_key = f"{API_KEY_SCHEME}_{api_key.prefix}_{secrets.token_urlsafe(32)}"
    api_key.key_hash = token_digest(raw_key)
    api_key.full_clean(exclude=["key_hash", "prefix"])
    api_key.save()
    return IssuedApiKey(api_key=api_key, raw_key=raw_key)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key`` (recording its use), or None. Constant-time compare."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_SCHEME:
        return None
    api_key = ApiKey.objects.select_related("shop").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, token_digest(raw_key)):
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
    """A new shop with its first key; ``owner`` is None while the owner's invitation is not yet accepted."""

    shop: Shop
    owner: AbstractUser | None
    issued_key: IssuedApiKey
    owner_invitation: Invitation | None = None


@transaction.atomic
def shop_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None = None,
    trust_existing_owner: bool = False,
    locale: str = "pl",
    timezone_name: str = "Europe/Warsaw",
    **fields: object,
) -> CreatedShop:
    """Create a shop, its owner and a first API key; an unproven existing account is invited, never reused.

    * No account has ``owner_email``: one is created and owns the shop. With ``owner_password`` it can log in
      at once; without, the owner is emailed a set-password link.
    * An account has it and is proven (a superuser, or its holder accepted an invitation, or the caller vouches
      with ``trust_existing_owner``): it owns the shop. Anyone could have created an unproven account for that
      address, so it only becomes owner when the mailbox's holder accepts the emailed owner invitation.
    * ``owner_password`` for an existing account is refused: the password of an existing person is never set here.

    Everything happens in one transaction: a taken slug or a bad field stores nothing and sends nothing.
    """
    try:
        validate_email(owner_email)
    except ValidationError as error:
        raise ValidationError({"owner_email": f"{owner_email!r} is not a valid email address."}) from error
    owner_email = owner_email.lower()
    if Shop.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug {slug!r} is taken by another shop."}, code="unique")
    user_model = get_user_model()
    owner = user_model.objects.filter(email__iexact=owner_email).first()
    if owner is not None and owner_password:
        raise ValidationError(
            {"owner_password": f"An account for {owner_email} exists; its password is not set here. Leave it out."},
            code="existing_account",
        )
    shop = Shop(name=name, slug=slug, locale=locale, timezone=timezone_name, **fields)
    shop.full_clean()
    shop.save()

    invitation = None
    if owner is None:
        owner = user_model(username=owner_email, email=owner_email)
        if owner_password:
            validate_password(owner_password, owner)
            owner.set_password(owner_password)
        else:
            owner.set_unusable_password()
        owner.full_clean()
        owner.save()
        _owner_add(shop=shop, owner=owner)
        if not owner_password:
            invitation = _invitation_issue(shop=shop, email=owner_email, role=Role.OWNER, invited_by=None)
    elif owner.is_superuser or trust_existing_owner or invitation_accepted_for(email=owner_email):
        _owner_add(shop=shop, owner=owner)
    else:
        owner = None
        invitation = _invitation_issue(shop=shop, email=owner_email, role=Role.OWNER, invited_by=None)
    issued_key = api_key_create(shop=shop, name="Default key")
    return CreatedShop(shop=shop, owner=owner, issued_key=issued_key, owner_invitation=invitation)


def _owner_add(*, shop: Shop, owner: AbstractUser) -> None:
    member_add(shop=shop, user=owner, role=Role.OWNER)
    audit_record(
        shop=shop, actor=None, action=AuditAction.MEMBER_ADDED, target=f"{owner.get_username()} as {Role.OWNER.label}"
    )


INVALID_LINK = "This invitation link is invalid, already used or expired. Ask the shop's owner for a new one."


def invitation_create(
    *,
    shop: Shop,
    email: str,
    role: Role | str,
    invited_by: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite ``email`` to ``shop`` in ``role``: store the token's hash, email the link after commit, audit it.

    The raw link exists only in the email.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": f"{email!r} is not a valid email address."}) from error
    if Membership.objects.filter(shop=shop, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of the shop."}, code="already_member")
    return _invitation_issue(shop=shop, email=email, role=role, invited_by=invited_by, request=request)


def _invitation_issue(
    *,
    shop: Shop,
    email: str,
    role: Role | str,
    invited_by: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Invitation:
    role = Role(role)
    now = timezone.now()
    # One live link per person and shop: a new invitation retires the earlier ones.
    Invitation.objects.filter(shop=shop, email__iexact=email, accepted_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        shop=shop,
        email=email,
        role=role,
        token_hash=token_digest(raw_token),
        invited_by=invited_by if invited_by is not None and invited_by.is_authenticated else None,
        expires_at=now + timedelta(hours=settings.SHOP_INVITATION_TTL_HOURS),
    )
    accept_url = settings.PUBLIC_BASE_URL + reverse("shops:invitation_accept", args=[raw_token])
    transaction.on_commit(partial(_invitation_email_send, invitation=invitation, accept_url=accept_url))
    audit_record(
        shop=shop,
        actor=invited_by,
        action=AuditAction.MEMBER_INVITED,
        target=f"{email} as {role.label}",
        request=request,
    )
    return invitation


def _invitation_email_send(*, invitation: Invitation, accept_url: str) -> None:
    hours = settings.SHOP_INVITATION_TTL_HOURS
    send_mail(
        subject=f"You are invited to {invitation.shop.name} on Parcelfront",
        message=(
            f"You have been invited to help run {invitation.shop.name} on Parcelfront "
            f"as {invitation.get_role_display().lower()}.\n\n"
            f"Set your password and join here (the link works once, for {hours} hours):\n{accept_url}\n\n"
            "If you did not expect this, ignore this email: nothing happens until the link is used.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, request: HttpRequest | None = None) -> AbstractUser:
    """Use the link once: set the password of the account with the invited email and make it a member."""
    invitation = (
        Invitation.objects.select_for_update().select_related("shop").filter(token_hash=token_digest(raw_token)).first()
    )
    now = timezone.now()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        raise ValidationError(INVALID_LINK, code="invitation_invalid")
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = user_model(username=invitation.email, email=invitation.email)
    elif not user.is_active:
        raise ValidationError(INVALID_LINK, code="invitation_invalid")
    validate_password(password, user)
    user.set_password(password)
    user.save()
    member_add(shop=invitation.shop, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        shop=invitation.shop,
        actor=user,
        action=AuditAction.INVITATION_ACCEPTED,
        target=f"{invitation.email} as {invitation.get_role_display()}",
        request=request,
    )
    return user


def invitation_revoke(
    *, invitation: Invitation, actor: AbstractBaseUser | None, request: HttpRequest | None = None
) -> None:
    """Make an open invitation's link stop working at once."""
    now = timezone.now()
    if Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(expires_at=now):
        audit_record(
            shop=invitation.shop,
            actor=actor,
            action=AuditAction.INVITATION_REVOKED,
            target=invitation.email,
            request=request,
        )
    invitation.refresh_from_db(fields=["expires_at"])
