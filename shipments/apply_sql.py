"""The three writes of applying one carrier answer, in hand-written SQL: new events, a status change, the shipment.

``shipments.tracking`` runs them for every polled and pushed answer, a few hundred times a second; through the
ORM (``save``, ``create``, ``bulk_create``) compiling each statement cost more CPU than sending it. Here each is one
plain statement whose text depends only on which columns it writes (kept per process), with every value prepared
by its model field (``get_db_prep_save``: JSON, time zones, the database's own types), so it means what the ORM's
statement meant on PostgreSQL and on SQLite alike. They run on the caller's connection, inside its transaction
and savepoint; auto_now columns are set here as the ORM would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import connection
from django.utils import timezone

from config.sql import columns, insert_head, model_fields, prepared, row_placeholder
from shipments.models import Shipment, StatusChange, TrackingEvent

EVENT_COLUMNS = (
    "shipment",
    "occurred_at",
    "status",
    "reason",
    "raw_code",
    "text",
    "location",
    "source",
    "mapped",
    "dedupe_key",
    "created_at",
)
STATUS_CHANGE_COLUMNS = ("shipment", "from_status", "to_status", "reason", "occurred_at", "created_at")

EventRow = tuple[datetime, str, str, str, str, str, str, bool, str]
"""An event's (occurred_at, status, reason, raw_code, text, location, source, mapped, dedupe_key); see EVENT_COLUMNS."""


def tracking_events_insert(*, shipment_id: int, rows: Sequence[EventRow]) -> None:
    """Store a shipment's new events in one statement; an event whose dedupe key is stored already is skipped."""
    if not rows:
        return
    now = timezone.now()
    values = [value for row in rows for value in prepared(TrackingEvent, EVENT_COLUMNS, (shipment_id, *row, now))]
    placeholders = ", ".join([row_placeholder(len(EVENT_COLUMNS))] * len(rows))
    sql = (
        f"{insert_head(TrackingEvent, EVENT_COLUMNS)} VALUES {placeholders} "
        f"ON CONFLICT ({columns(TrackingEvent, ('shipment', 'dedupe_key'))}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def status_change_insert(
    *, shipment_id: int, from_status: str, to_status: str, reason: str, occurred_at: datetime
) -> int:
    """Store one status change (the outbox row its consumers process) and return its id."""
    values = prepared(
        StatusChange,
        STATUS_CHANGE_COLUMNS,
        (shipment_id, from_status, to_status, reason, occurred_at, timezone.now()),
    )
    sql = (
        f"{insert_head(StatusChange, STATUS_CHANGE_COLUMNS)} VALUES {row_placeholder(len(values))} "
        f"RETURNING {columns(StatusChange, ('id',))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]


def shipment_columns_update(*, shipment: Shipment, names: Sequence[str]) -> None:
    """Write the named fields of ``shipment`` as they are in memory, and ``updated_at`` (auto_now) with them."""
    shipment.updated_at = timezone.now()
    names = (*(name for name in names if name != "updated_at"), "updated_at")
    values = prepared(Shipment, names, [getattr(shipment, name) for name in names])
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(names), [*values, shipment.pk])


@cache
def _update_sql(names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields(Shipment, names))
    # Only model column names go into the text; every value is a parameter.
    table, pk = quote(Shipment._meta.db_table), quote(Shipment._meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
