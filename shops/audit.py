"""The audit log of security-relevant actions in a shop: one writer, one reader."""

import ipaddress

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from shops.client_ip import client_ip
from shops.models import AuditAction, AuditEvent, Shop

TARGET_MAX_LENGTH = AuditEvent._meta.get_field("target").max_length


def audit_record(
    *,
    shop: Shop,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: AuditAction | str,
    target: str,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to ``shop``'s audit log; ``request`` supplies the client's address."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        shop=shop,
        actor=user,
        actor_label=(user.get_username() if user is not None else "system")[:254],
        action=AuditAction(action),
        target=target[:TARGET_MAX_LENGTH],
        ip=_stored_ip(request),
    )


def _stored_ip(request: HttpRequest | None) -> str | None:
    address = client_ip(request) if request is not None else ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
