"""Hand-written SQL for the hot paths, built from the models' own metadata: the one place it is assembled.

The apply of every carrier answer (``shipments.apply_sql``) and the record of every email batch
(``rows_update``) run hundreds of times a second; through the ORM, compiling their statements cost more
CPU than running them. Only model table and column names go into the text, quoted by the database's
own rules; every value is a parameter prepared by its model field (``get_db_prep_save``: JSON, time
zones, the database's types), so a statement means what the ORM's would have.

``rows_update`` writes many rows, each with its own values, in one ``UPDATE ... FROM (VALUES ...)``:
Django's ``bulk_update`` builds a ``CASE WHEN pk = ...`` per row and field, about 2 ms a row to compile
for five fields (measured with ``bench/emails``). PostgreSQL only (the production database); any other
database (SQLite in a quick local shell) takes ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Field, Model


@cache
def model_fields(model: type[Model], names: tuple[str, ...]) -> tuple[Field, ...]:
    """The model's fields by name, in the order given (kept per process)."""
    return tuple(model._meta.get_field(name) for name in names)


def prepared(model: type[Model], names: Sequence[str], values: Sequence[object]) -> list[object]:
    """``values`` as the database takes them, each prepared by the field of the same position."""
    fields = model_fields(model, tuple(names))
    return [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]


def columns(model: type[Model], names: Sequence[str]) -> str:
    """The quoted column names of the named fields, comma-separated."""
    return ", ".join(connection.ops.quote_name(field.column) for field in model_fields(model, tuple(names)))


def insert_head(model: type[Model], names: Sequence[str]) -> str:
    """``INSERT INTO <table> (<columns>)`` for the named fields."""
    return f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns(model, names)})"


def row_placeholder(width: int) -> str:
    """``(%s, %s, ...)`` for one row of ``width`` values."""
    return f"({', '.join(['%s'] * width)})"


def rows_update(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of each of ``objects`` (one model) as the objects hold them; how many rows changed."""
    if not objects:
        return 0
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objects, fields)
    meta = model._meta
    key = meta.pk
    written = model_fields(model, tuple(fields))
    quote = connection.ops.quote_name
    # Each value is cast to its column's type, so NULLs and timestamps need no guessing by the planner.
    row = "(" + ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in [key, *written]) + ")"
    names = ", ".join(quote(field.column) for field in [key, *written])
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in written)
    # Identifiers come from the model's own metadata; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objects))}) AS v({names}) "
        f"WHERE t.{quote(key.column)} = v.{quote(key.column)}"
    )
    params: list[object] = []
    for instance in objects:
        params.append(key.get_db_prep_save(instance.pk, connection))
        params.extend(field.get_db_prep_save(getattr(instance, field.attname), connection) for field in written)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
