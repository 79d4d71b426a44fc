"""Who among staff must pass TOTP two-factor, by the deployment's ``STAFF_2FA_REQUIRED`` policy."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django_otp import user_has_device

from shops.models import Membership, Role


def two_factor_required(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` must verify a TOTP code before using the admin.

    ``all``: every staff member; ``owners``: shop owners and superusers; ``off``: nobody. Anyone who enrolled a
    device is asked for it in any case, so turning the policy off never weakens an account that opted in.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user_has_device(user, confirmed=True):
        return True
    policy = settings.STAFF_2FA_REQUIRED
    if policy == "all":
        return True
    if policy == "owners":
        return user.is_superuser or Membership.objects.filter(user=user, role=Role.OWNER).exists()
    return False
