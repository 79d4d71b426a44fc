"""A connection's health: errors in plain words, the pause on refused credentials, telling the owners.

Like carrier accounts (``shipments.carrier_runtime.carrier_account_record``): a refused credential
pauses the connection for ``AUTH_PAUSE`` (the beat skips it, "Resume" in the admin lifts it); here the
shop's owners are also emailed once per pause, since nobody may look at the admin for days.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import ShopConnection
from integrations.types import ConnectorError, ErrorKind
from shipments.schedule import AUTH_PAUSE
from shops.models import Membership, Role

logger = logging.getLogger(__name__)


def connection_error_record(*, connection: ShopConnection, error: ConnectorError, now: datetime | None = None) -> None:
    """Store ``error`` on the connection; a refused credential pauses it and tells the owners."""
    now = now or timezone.now()
    changes: dict[str, object] = {
        "last_error": error.message[:2000],
        "last_error_at": now,
        "error_count": F("error_count") + 1,
        "last_sync_at": now,
    }
    if error.kind == ErrorKind.AUTH:
        changes.update(paused_until=now + AUTH_PAUSE, last_auth_error=error.message[:2000], last_auth_error_at=now)
        logger.warning(
            "%s refused shop %s's credentials (connection %s); paused until %s",
            connection.platform,
            connection.shop_id,
            connection.pk,
            now + AUTH_PAUSE,
        )
    ShopConnection.objects.filter(pk=connection.pk).update(**changes)
    connection.refresh_from_db()
    if error.kind == ErrorKind.AUTH:
        connection_owners_tell(connection=connection, now=now)


def connection_owners_tell(*, connection: ShopConnection, now: datetime) -> bool:
    """Email the shop's owners that the connection is paused; once until the credentials work again."""
    claimed = ShopConnection.objects.filter(Q(owner_told_at__isnull=True), pk=connection.pk).update(owner_told_at=now)
    if not claimed:
        return False
    recipients = sorted(
        set(
            Membership.objects.filter(shop_id=connection.shop_id, role=Role.OWNER)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return False
    send_mail(
        subject=f"{connection.shop.name}: {connection.get_platform_display()} stopped sending orders",
        message=(
            f"{connection.get_platform_display()} refused the credentials of '{connection.name}':\n"
            f"{connection.last_auth_error}\n\n"
            "Orders from this store are not imported until you enter working credentials in the admin "
            "(Shop connectors) and press 'Resume'. Nothing already imported is lost.\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
    return True


def connection_problems_record(*, connection: ShopConnection, problems: list[str]) -> None:
    """Keep what went wrong with single orders or parcels (the connection itself works) for the admin."""
    if problems:
        ShopConnection.objects.filter(pk=connection.pk).update(
            last_problems=" | ".join(problems)[-2000:], last_problems_at=timezone.now()
        )


def connection_success_record(*, connection: ShopConnection, now: datetime | None = None) -> None:
    """A call went through: the credentials work again, so a later refusal tells the owners anew."""
    now = now or timezone.now()
    ShopConnection.objects.filter(pk=connection.pk).update(last_success_at=now, last_sync_at=now, owner_told_at=None)


def connection_resume(*, connection_ids: list[int]) -> int:
    """Lift the pause (after the owner fixed the credentials); the next beat syncs again."""
    return ShopConnection.objects.filter(pk__in=connection_ids).update(paused_until=None)


def connection_paused(connection: ShopConnection, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(connection.paused_until and connection.paused_until > now)
