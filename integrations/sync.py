"""Running a connection: poll (journal or REST back-fill), apply, write the delivered state back, record health."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from integrations.health import (
    connection_error_record,
    connection_paused,
    connection_problems_record,
    connection_success_record,
)
from integrations.models import PlatformParcel, ShopConnection
from integrations.registry import CONNECTORS, connector_class
from integrations.runtime import connector_for
from integrations.services import WAITING_FOR_ORDER, connection_order_apply
from integrations.types import ConnectorError, ErrorKind, ParcelRef

logger = logging.getLogger(__name__)

MAX_PAGES_PER_SYNC = 10
# A sync stops paging after this long (the next beat continues from the cursor), well inside the task limit.
SYNC_BUDGET = timedelta(seconds=90)
# The lease outlives the budget; a worker that died mid-sync frees the connection when it expires.
SYNC_LEASE = timedelta(minutes=4)
WRITE_BACKS_PER_SYNC = 50
FETCHES_PER_SYNC = 20
WAITING_GRACE = timedelta(minutes=2)


@dataclass
class SyncReport:
    """What one sync of one connection did, for the command's output and the admin."""

    connection: str
    orders_created: list[str] = field(default_factory=list)
    orders_updated: list[str] = field(default_factory=list)
    parcels_added: int = 0
    parcels_waiting: int = 0
    parcels_withdrawn: int = 0
    written_back: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: str = ""

    def summary(self) -> str:
        if self.skipped:
            return f"{self.connection}: skipped ({self.skipped})"
        text = (
            f"{self.connection}: {len(self.orders_created)} new order(s), {len(self.orders_updated)} updated, "
            f"{self.parcels_added} parcel(s) added, {self.parcels_withdrawn} withdrawn, "
            f"{self.written_back} delivered state(s) written back"
        )
        if self.orders_created:
            text += "; new: " + ", ".join(self.orders_created[:20])
        return text


def connections_due() -> list[ShopConnection]:
    """Enabled, unpaused connections of active shops that poll, write back, or can fetch orders parcels wait for."""
    polling = [code for code, cls in CONNECTORS.items() if cls.polls]
    fetching = [code for code, cls in CONNECTORS.items() if cls.fetches_orders]
    now = timezone.now()
    waiting = PlatformParcel.objects.filter(
        shipment__isnull=True, withdrawn_at__isnull=True, problem=WAITING_FOR_ORDER
    ).values("connection_id")
    return list(
        ShopConnection.objects.filter(
            Q(platform__in=polling)
            | Q(write_back_delivered=True)
            | (Q(platform__in=fetching, pk__in=waiting) & ~Q(api_token=""))
        )
        .filter(enabled=True, shop__is_active=True)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .select_related("shop")
        .order_by("pk")
    )


def connection_sync(*, connection: ShopConnection, client: httpx.Client | None = None) -> SyncReport:
    """Poll ``connection`` (up to a few pages), apply what came, then write back delivered parcels."""
    report = SyncReport(connection=f"{connection.shop.slug} {connection}")
    if not connection.enabled:
        report.skipped = "turned off"
        return report
    if connection_paused(connection):
        report.skipped = f"paused until {connection.paused_until:%Y-%m-%d %H:%M} UTC: the credentials were refused"
        return report
    cls = connector_class(connection.platform)
    fetch = cls.fetches_orders and bool(connection.api_token) and _waiting(connection).exists()
    if not cls.polls and not connection.write_back_delivered and not fetch:
        report.skipped = "orders arrive by webhook; nothing to poll"
        return report
    if not _lease_take(connection):
        report.skipped = "another sync of this connection is running"
        return report
    connector = connector_for(connection, client=client)
    try:
        if connector.polls:
            _poll(connection=connection, connector=connector, report=report)
        if fetch:
            _waiting_fetch(connection=connection, connector=connector, report=report)
        if connection.write_back_delivered and connector.supports_write_back:
            report.written_back = _write_back(connection=connection, connector=connector)
    except ConnectorError as error:
        connection_error_record(connection=connection, error=error)
        report.problems.append(error.message)
        return report
    finally:
        ShopConnection.objects.filter(pk=connection.pk).update(sync_lease_until=None)
    connection_success_record(connection=connection)
    connection_problems_record(connection=connection, problems=report.problems)
    return report


def _waiting(connection: ShopConnection):  # type: ignore[no-untyped-def]
    # Parcels that came (by webhook) before their order, a little while ago: the order's own webhook had its chance.
    return PlatformParcel.objects.filter(
        connection=connection,
        shipment__isnull=True,
        withdrawn_at__isnull=True,
        problem=WAITING_FOR_ORDER,
        created_at__lt=timezone.now() - WAITING_GRACE,
    )


def _waiting_fetch(*, connection: ShopConnection, connector, report: SyncReport) -> None:  # type: ignore[no-untyped-def]
    """Ask the platform for the orders parcels wait for (orders placed before the connection existed)."""
    order_ids = list(_waiting(connection).values_list("platform_order_id", flat=True).distinct()[:FETCHES_PER_SYNC])
    for platform_order_id in order_ids:
        order_data = connector.fetch_order(platform_order_id)
        if order_data is None:
            _waiting(connection).filter(platform_order_id=platform_order_id).update(
                problem="Its order is not on the platform any more."
            )
            continue
        _apply(connection=connection, order_data=order_data, report=report)


def _apply(*, connection: ShopConnection, order_data, report: SyncReport) -> None:  # type: ignore[no-untyped-def]
    try:
        applied = connection_order_apply(connection=connection, order_data=order_data)
    except ValidationError as error:
        name = order_data.number or order_data.platform_order_id
        report.problems.append(f"Order {name} was not imported: {' '.join(error.messages)}")
        return
    (report.orders_created if applied.created else report.orders_updated).append(applied.order_number)
    report.parcels_added += applied.parcels_added
    report.parcels_withdrawn += applied.parcels_withdrawn
    report.problems.extend(applied.problems)


def _lease_take(connection: ShopConnection) -> bool:
    now = timezone.now()
    free = Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
    taken = ShopConnection.objects.filter(free, pk=connection.pk).update(sync_lease_until=now + SYNC_LEASE)
    if taken:
        connection.refresh_from_db(fields=["cursor", "first_import_done_at"])
    return bool(taken)


def _poll(*, connection: ShopConnection, connector, report: SyncReport) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    since = now - timedelta(days=connection.first_import_days)
    lifetime, last = connector.cursor_lifetime, connection.last_success_at
    if connection.cursor and lifetime and last and now - last > lifetime - timedelta(hours=1):
        # The platform forgot what happened since the cursor: import again from just before the last good sync.
        connection.cursor, since = "", last - timedelta(hours=1)
        report.problems.append("The last sync is older than the platform keeps its changes: importing again from then.")
    deadline = now + SYNC_BUDGET
    for _ in range(MAX_PAGES_PER_SYNC):
        batch = connector.poll(cursor=connection.cursor, since=since)
        report.problems.extend(batch.problems)
        for order_data in batch.orders:
            _apply(connection=connection, order_data=order_data, report=report)
        # The cursor moves only after the page is applied: a crash re-reads it, and repeats are harmless.
        connection.cursor = batch.cursor
        changes = {"cursor": batch.cursor}
        if connection.first_import_done_at is None and not batch.more:
            changes["first_import_done_at"] = connection.first_import_done_at = timezone.now()
        ShopConnection.objects.filter(pk=connection.pk).update(**changes)
        if not batch.more or timezone.now() > deadline:
            return


def _write_back(*, connection: ShopConnection, connector) -> int:  # type: ignore[no-untyped-def]
    parcels = PlatformParcel.objects.filter(
        connection=connection,
        written_back_at__isnull=True,
        withdrawn_at__isnull=True,
        is_return=False,
        shipment__status="delivered",
    ).order_by("pk")[:WRITE_BACKS_PER_SYNC]
    done = 0
    for parcel in parcels:
        try:
            connector.write_back_delivered(
                ParcelRef(
                    platform_order_id=parcel.platform_order_id,
                    platform_parcel_id=parcel.platform_parcel_id,
                    group_id=parcel.platform_group_id,
                )
            )
        except ConnectorError as error:
            if error.kind in (ErrorKind.AUTH, ErrorKind.TRANSIENT, ErrorKind.SETUP):
                raise
            logger.warning("write-back of parcel %s refused: %s", parcel.pk, error.message)
        PlatformParcel.objects.filter(pk=parcel.pk).update(written_back_at=timezone.now())
        done += 1
    return done


def connection_test(*, connection: ShopConnection, client: httpx.Client | None = None) -> tuple[bool, str]:
    """Call the platform with the stored credentials; (worked, what happened in plain words)."""
    try:
        words = connector_for(connection, client=client).test()
    except ConnectorError as error:
        connection_error_record(connection=connection, error=error)
        return False, error.message
    connection_success_record(connection=connection)
    return True, words
