"""Many rows, each with its own values, written in one statement: ``UPDATE ... FROM (VALUES ...)``.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ...`` per row and field, and compiling those
expressions costs far more than running the statement (about 2 ms a row for five fields, measured
with ``bench/emails``). Here the values travel as a table joined on the primary key, so the cost
grows with the data, not with expression trees. PostgreSQL only (the production database); any
other database (SQLite in a quick local shell) takes ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_update(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of each of ``objects`` (one model) as the objects hold them; how many rows changed."""
    if not objects:
        return 0
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objects, fields)
    meta = model._meta
    key = meta.pk
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    # Each value is cast to its column's type, so NULLs and timestamps need no guessing by the planner.
    row = "(" + ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in [key, *columns]) + ")"
    names = ", ".join(quote(field.column) for field in [key, *columns])
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns)
    # Identifiers come from the model's own metadata; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objects))}) AS v({names}) "
        f"WHERE t.{quote(key.column)} = v.{quote(key.column)}"
    )
    params: list[object] = []
    for instance in objects:
        params.append(key.get_db_prep_save(instance.pk, connection))
        params.extend(field.get_db_prep_save(getattr(instance, field.attname), connection) for field in columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
