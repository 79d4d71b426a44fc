"""Reads for tenants: which shops a user may see and in which role; open invitations."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from shops.models import Invitation, Membership, Role, Shop, token_digest


def shops_for_user(*, user: AbstractBaseUser | AnonymousUser, roles: set[str] | None = None) -> QuerySet[Shop]:
    """Shops ``user`` belongs to (optionally only in ``roles``); every shop for a superuser."""
    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    if user.is_superuser:
        return Shop.objects.all()
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Shop.objects.filter(pk__in=memberships.values("shop_id"))


def roles_for_user(*, user: AbstractBaseUser | AnonymousUser) -> dict[int, Role]:
    """Map of shop id to the user's role there (empty for anonymous users)."""
    if not user.is_authenticated or not user.is_active:
        return {}
    return {
        shop_id: Role(role) for shop_id, role in Membership.objects.filter(user=user).values_list("shop_id", "role")
    }


def shop_for_host(*, host: str) -> Shop | None:
    """The active shop whose custom domain is ``host`` (port ignored), if any."""
    hostname = host.split(":", 1)[0].lower().rstrip(".")
    if not hostname:
        return None
    return Shop.objects.filter(custom_domain=hostname, is_active=True).first()


def invitation_for_token(*, raw_token: str) -> Invitation | None:
    """The open (unused, unexpired) invitation behind ``raw_token``, or None."""
    return (
        Invitation.objects.select_related("shop")
        .filter(token_hash=token_digest(raw_token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def invitation_accepted_for(*, email: str) -> bool:
    """Whether the person with ``email`` has proved control of it by accepting an invitation."""
    return Invitation.objects.filter(email__iexact=email, accepted_at__isnull=False).exists()
