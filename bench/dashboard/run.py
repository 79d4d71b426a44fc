"""Dashboard benchmark (run by hand, not in CI): the admin home costs at most 3x a trivial admin page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pf_bench_dashboard \\
    .venv/bin/python bench/dashboard/run.py [--parcels 100000] [--big] [--requests 60]

Seeds one shop with ``--parcels`` parcels (``--big``: 1,000,000) made in SQL over the past year on
ten lanes, 98% delivered, with their daily roll-ups, an SLA target, incidents and returns; then, in
the same process and run, requests alternately the owner's dashboard (every tile) and a trivial admin
page (the password change form: the same admin chrome, no figures) with Django's test client, and
prints requests/second of both and their ratio (target <= 3). The database named in DATABASE_URL
(name starting with pf_bench) is dropped and recreated.
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
LANES = [("inpost", "PL"), ("dpd", "PL"), ("dhl", "DE"), ("packeta", "CZ"), ("poczta_polska", "PL")]


def seed(*, shop_id: int, parcels: int) -> None:
    """Parcels spread over the last 365 days on ten lanes, and roll-ups that add up to them."""
    from django.db import connection

    with connection.cursor() as cursor:
        orders_insert(cursor, shop_id=shop_id, prefix="D", count=parcels)
        cursor.execute(
            """
            INSERT INTO shipments_shipment (shop_id, order_id, carrier, tracking_number, direction, public_token,
                service, status, reason, status_changed_at, last_event_at, pickup_point, proof_of_delivery,
                next_poll_at, poll_count, last_error, last_error_kind, poll_errors, created_at, updated_at)
            SELECT %s, o.id, (ARRAY['inpost','dpd','dhl','packeta','poczta_polska'])[1 + o.id %% 5],
                '1' || lpad(o.id::text, 13, '0'), 'outbound', md5('s' || o.id) || md5('x'), '',
                CASE WHEN o.id %% 50 = 0 THEN 'in_transit' ELSE 'delivered' END, '', now(), now(), NULL, NULL,
                NULL, 0, '', '', 0, now(), now()
            FROM shipments_order o WHERE o.shop_id = %s
            """,
            [shop_id, shop_id],
        )
        cursor.execute(
            """
            INSERT INTO analytics_dailyrollup (shop_id, carrier, service, destination_country, day, shipped,
                delivered, first_estimate_known, on_time_first_estimate, promised_known, on_time_promised,
                first_attempt, exceptions, expired, returned, in_flight, order_to_pickup, pickup_to_delivery,
                order_to_delivery, delivered_that_day, on_time_known_that_day, on_time_that_day, updated_at)
            SELECT %s, lane.carrier, '', lane.country, (now() - d * interval '1 day')::date, per_day, per_day - 1,
                per_day - 2, per_day - 4, per_day - 3, per_day - 5, per_day - 3, 1, 0, 1, CASE WHEN d < 10 THEN per_day / 5 ELSE 0 END,
                '[10,20,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]'::jsonb,
                '[0,15,12,5,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]'::jsonb,
                '[0,5,15,10,3,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]'::jsonb,
                per_day - 1, per_day - 2, per_day - 4, now()
            FROM generate_series(0, 364) AS d,
                 (VALUES ('inpost','PL'),('dpd','PL'),('dhl','DE'),('packeta','CZ'),('poczta_polska','PL'))
                     AS lane(carrier, country),
                 (SELECT greatest(%s / (365 * 5), 6) AS per_day) AS sizes
            """,
            [shop_id, parcels],
        )
        cursor.execute("ANALYZE shipments_shipment; ANALYZE analytics_dailyrollup; ANALYZE shipments_order")


def rate(client, url: str, *, requests: int) -> float:  # type: ignore[no-untyped-def]
    """Requests per second of ``url`` (median of per-request times)."""
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return 1 / statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="1,000,000 parcels (a few minutes to seed)")
    parser.add_argument("--requests", type=int, default=60)
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL (PostgreSQL, database name pf_bench...)")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    parcels = 1_000_000 if arguments.big else arguments.parcels
    recreate_database()
    import django

    django.setup()
    from decimal import Decimal

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from analytics.models import SlaTarget
    from shops.models import Membership, Role, Shop

    settings.ALLOWED_HOSTS = ["*"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
    shop = Shop.objects.create(name="Bench", slug="bench")
    started = time.perf_counter()
    seed(shop_id=shop.pk, parcels=parcels)
    print(f"seeded {parcels:,} parcels in {time.perf_counter() - started:.0f} s")
    SlaTarget.objects.create(shop=shop, carrier="dpd", within_days=2, target_percent=Decimal("95"))
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user("owner@bench.example", "owner@bench.example", "x", is_staff=True)
    Membership.objects.create(user=owner, shop=shop, role=Role.OWNER)
    client = Client()
    client.force_login(owner)
    dashboard, trivial = reverse("admin:index"), reverse("admin:password_change")
    rate(client, dashboard, requests=3)  # warm both (template loading, first queries)
    rate(client, trivial, requests=3)
    dashboard_rates, trivial_rates = [], []
    for _ in range(3):  # alternating rounds, so both see the same machine
        dashboard_rates.append(rate(client, dashboard, requests=arguments.requests // 3))
        trivial_rates.append(rate(client, trivial, requests=arguments.requests // 3))
    pipeline, baseline = statistics.median(dashboard_rates), statistics.median(trivial_rates)
    print(
        f"dashboard ({parcels:,} parcels): pipeline {pipeline:.1f}/s, baseline {baseline:.1f}/s, "
        f"ratio {baseline / pipeline:.2f} (target <= 3)"
    )


if __name__ == "__main__":
    main()
