"""What the PostgreSQL benchmarks share: a throw-away database and orders made in SQL (generate_series)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

ORDERS_SQL = """
    INSERT INTO shipments_order (shop_id, number, public_token, customer_name, customer_email,
        customer_phone, shipping_city, shipping_postcode, shipping_country, locale, email_marketing_consent,
        sms_marketing_consent, currency, total_amount, shipping_method, placed_at, created_at, updated_at, version)
    SELECT %s, %s || i, md5(%s || i) || md5('o' || i), 'Anna', 'a' || i || '@example.com', '', 'Kraków',
        '30-001', 'PL', 'pl', false, false, 'PLN', 100, '', now(), now(), now(), 1
    FROM generate_series(1, %s) AS i
"""


def recreate_database() -> None:
    """Drop and create the database DATABASE_URL names; only one whose name starts with pf_bench."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    if not name.startswith("pf_bench"):
        raise SystemExit("refusing to drop a database whose name does not start with pf_bench")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def orders_insert(cursor, *, shop_id: int, prefix: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` orders numbered ``prefix``1..count for the shop."""
    cursor.execute(ORDERS_SQL, [shop_id, prefix, prefix, count])
