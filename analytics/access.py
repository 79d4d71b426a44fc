"""Which shop's analytics a staff user sees: the one tenant decision of the dashboard and analytics pages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from shops.models import Role, Shop
from shops.selectors import roles_for_user, shops_for_user

# Delivery analytics and SLAs are the owner's and support's (carriers' performance); not marketing's.
ANALYTICS_ROLES = frozenset({Role.OWNER, Role.SUPPORT})


def shop_choice(
    *, user: AbstractBaseUser | AnonymousUser, requested: str | None, roles: frozenset[str] | None = None
) -> Shop | None:
    """The shop ``user`` asked for (``?shop=<id>``) among those where they hold one of ``roles``; their first
    such shop when they asked for none. None when they asked for a shop they may not see here, or have none.
    """
    shops = shops_for_user(user=user, roles=None if roles is None else set(roles)).order_by("name", "pk")
    if requested:
        return shops.filter(pk=int(requested)).first() if requested.isdigit() else None
    return shops.first()


def user_role(*, user: AbstractBaseUser | AnonymousUser, shop: Shop) -> str | None:
    """``user``'s role in ``shop`` (owner for a superuser), None when they have none."""
    if user.is_superuser and user.is_active:
        return Role.OWNER
    return roles_for_user(user=user).get(shop.pk)
