"""Watchlist scan benchmark (run by hand, not in CI): the beat tick's cost does not grow with active parcels.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pf_bench_watch \\
    .venv/bin/python bench/watchlist/run.py [--due 200] [--repeats 5] [--big 1000000]

One tick of ``watchlist.services.watch_scan`` (enrol new parcels by id, claim the due watch rows with
SKIP LOCKED, evaluate each) with ``--due`` parcels due among 10,000 active parcels, then among
``--base-big`` (100,000 by default; ``--big 1000000`` for the million, which takes a few minutes to
seed). Rows are made with generate_series. Prints the median tick of each size and their ratio
(target <= 1.5: the tick is O(due), not O(active)). Publishing is stubbed out (no broker needed).

The database named in DATABASE_URL is dropped and recreated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.seeding import orders_insert, recreate_database  # noqa: E402  (after the path is set)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def seed_active(*, count: int, shop_id: int, prefix: str) -> None:
    """``count`` parcels in transit (last scan an hour ago), each with a watch row due in 1-72 hours."""
    from django.db import connection

    with connection.cursor() as cursor:
        orders_insert(cursor, shop_id=shop_id, prefix=prefix, count=count)
        cursor.execute(
            """
            INSERT INTO shipments_shipment (shop_id, order_id, carrier, tracking_number, direction, public_token,
                service, status, reason, status_changed_at, last_event_at, pickup_point, proof_of_delivery,
                next_poll_at, poll_count, last_error, last_error_kind, poll_errors, created_at, updated_at)
            SELECT %s, o.id, 'dpd', '1' || lpad(o.id::text, 13, '0'), 'outbound', md5('s' || o.id) || md5(%s),
                '', 'in_transit', '', now() - interval '1 hour', now() - interval '1 hour', NULL, NULL,
                now() + interval '1 hour', 0, '', '', 0, now(), now()
            FROM shipments_order o WHERE o.number LIKE %s
            """,
            [shop_id, prefix, f"{prefix}%"],
        )
        cursor.execute(
            """
            INSERT INTO watchlist_shipmentwatch (shipment_id, due_at, evaluated_at)
            SELECT s.id, now() + interval '1 hour' + random() * interval '71 hours', now()
            FROM shipments_shipment s JOIN shipments_order o ON o.id = s.order_id WHERE o.number LIKE %s
            """,
            [f"{prefix}%"],
        )
        cursor.execute(
            """
            INSERT INTO watchlist_watchcursor (name, last_shipment_id)
            SELECT 'shipments', coalesce(max(id), 0) FROM shipments_shipment
            ON CONFLICT (name) DO UPDATE SET last_shipment_id = excluded.last_shipment_id
            """
        )
        cursor.execute("ANALYZE shipments_shipment; ANALYZE watchlist_shipmentwatch")


def median_tick(*, due: int, repeats: int) -> float:
    """Median seconds of one scan tick with ``due`` watch rows made due before each tick (not timed)."""
    from django.db import connection
    from django.utils import timezone

    from watchlist.services import watch_scan

    ticks = []
    for _ in range(repeats):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE watchlist_shipmentwatch SET due_at = now() - interval '1 minute' WHERE shipment_id IN "
                "(SELECT shipment_id FROM watchlist_shipmentwatch ORDER BY shipment_id LIMIT %s)",
                [due],
            )
        started = time.perf_counter()
        outcome = watch_scan(now=timezone.now(), limit=max(due, 1))
        ticks.append(time.perf_counter() - started)
        assert not outcome.opened, "the benchmark's parcels are not late; nothing should open"
    return statistics.median(ticks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="1000000 for the million (slow to seed)")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL (PostgreSQL, database name pf_bench...)")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery import app
    from shops.models import Shop

    call_command("migrate", verbosity=0)
    app.send_task = lambda *args, **kwargs: None  # type: ignore[method-assign]
    shop = Shop.objects.create(name="Bench", slug="bench")

    seed_active(count=arguments.base, shop_id=shop.pk, prefix="A")
    small = median_tick(due=arguments.due, repeats=arguments.repeats)
    seed_active(count=arguments.big - arguments.base, shop_id=shop.pk, prefix="B")
    large = median_tick(due=arguments.due, repeats=arguments.repeats)
    print(f"scan tick, {arguments.due} due among {arguments.base:>9,} active: {small * 1000:8.1f} ms")
    print(f"scan tick, {arguments.due} due among {arguments.big:>9,} active: {large * 1000:8.1f} ms")
    # As rates in the benchmarks' one format: ticks/s among the big table against ticks/s among the small one
    # (a cost ratio <= 1.5 is a rate ratio >= 0.67).
    print(f"watchlist: pipeline {1 / large:.1f}/s, baseline {1 / small:.1f}/s, ratio {small / large:.2f} (target 0.67)")


if __name__ == "__main__":
    main()
