"""Tracking page benchmark (run by hand, not in CI): the cached page against a trivial Django view.

    .venv/bin/python bench/page/run.py [--seconds 10] [--clients 4] [--workers 2] [--events 40]

Migrates a fresh SQLite database in a temporary var directory (or, with DATABASE_URL, recreates that
PostgreSQL database, whose name must start with pf_bench; REDIS_URL switches the cache), seeds one shop and a split order with ``--events`` events per parcel, and serves the project
with gunicorn (``--workers`` sync workers, the same middleware as production). A second process
with ``--clients`` load processes then requests, alternately, a trivial Django view on the same
server and the order's tracking page (warm cache), each for ``--seconds`` in two rounds. Prints
requests/second, p50 and p99 latency for both, and the ratio page/trivial (target >= 0.5): first as
configured (a hot order's version is re-read at most once a second per process), then with the
version read from the database on every view (how a page of one of many orders behaves).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

SEED = """
from datetime import timedelta
from django.utils import timezone
from shipments.models import TrackingEvent
from shipments.services import order_upsert
from shops.services import shop_create

shop = shop_create(
    name="Bench shop", slug="bench-shop", owner_email="owner@bench.example",
    support_email="help@bench.example", banner_text="Free delivery over 200 zł",
).shop
order, _ = order_upsert(
    shop=shop, number="B-1", customer_email="anna@example.com", shipping_city="Kraków",
    shipping_postcode="30-001", locale="pl",
    items=[{"name": "Kubek", "quantity": 2}, {"name": "Kawa", "quantity": 1}],
    shipments=[{"tracking_number": "620000000000000000000001", "carrier": "inpost"},
               {"tracking_number": "0000123456789U", "carrier": "dpd"}],
)
now = timezone.now()
for shipment in order.shipments.all():
    shipment.status = "in_transit"
    shipment.save()
    TrackingEvent.objects.bulk_create(
        TrackingEvent(shipment=shipment, occurred_at=now - timedelta(hours=index), status="in_transit",
                      raw_code="X", text=f"Przesyłka w sortowni {index}", location="Warszawa",
                      dedupe_key=f"{shipment.pk}-{index}")
        for index in range(EVENTS)
    )
print(order.public_token)
"""


def recreate_postgres_database(url: str) -> None:
    """Drop and create the benchmark's own PostgreSQL database (its name must start with pf_bench)."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.startswith("pf_bench"):
        sys.exit(f"refusing to recreate {name!r}: use a database named pf_bench_...")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load(port: int, path: str, seconds: float, results: multiprocessing.Queue) -> None:
    """One client process: sequential GETs (a new connection each, as gunicorn's sync workers close it)."""
    latencies = []
    deadline = time.perf_counter() + seconds
    errors = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
        finally:
            connection.close()
        latencies.append(time.perf_counter() - started)
    results.put((latencies, errors))


def measure(port: int, path: str, seconds: float, clients: int) -> tuple[list[float], int]:
    results: multiprocessing.Queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=load, args=(port, path, seconds, results)) for _ in range(clients)]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        chunk, chunk_errors = results.get()
        latencies.extend(chunk)
        errors += chunk_errors
    for process in processes:
        process.join()
    return latencies, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--events", type=int, default=40, help="events per parcel (two parcels)")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="pf-bench-page-")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.page.bench_settings",
        "PARCELFRONT_VAR_DIR": var_dir,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PYTEST_VERSION", None)
    if env.get("DATABASE_URL"):
        recreate_postgres_database(env["DATABASE_URL"])
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", SEED.replace("EVENTS", str(args.events))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if seeded.returncode:
        sys.exit(f"seeding failed:\n{seeded.stderr}")
    token = seeded.stdout.strip().splitlines()[-1]

    print(
        f"{args.events} events x 2 parcels; {args.workers} gunicorn sync workers, {args.clients} client processes, "
        f"2 rounds x {args.seconds:.0f} s per measurement"
    )
    ratio = serve_and_measure(args, env, port, token, label="as configured (version re-read at most once a second)")
    strict = serve_and_measure(
        args, {**env, "BENCH_KEY_SECONDS": "0"}, port, token, label="version read from the database on every view"
    )
    print(f"ratio as configured: {ratio:.2f} (target >= 0.50) -> {'OK' if ratio >= 0.5 else 'BELOW'}")
    print(f"ratio with a version read per view: {strict:.2f}")


def serve_and_measure(args: argparse.Namespace, env: dict[str, str], port: int, token: str, *, label: str) -> float:
    """Serve with gunicorn, load the trivial view and the cached page alternately; print and return the ratio."""
    server = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        page_path, trivial_path = f"/t/{token}", "/bench/trivial"
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", trivial_path)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        # Warm up: every worker renders and caches the page, imports are done.
        measure(port, page_path, 1.0, args.clients)
        measure(port, trivial_path, 1.0, args.clients)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", page_path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and b"Przesy" in body, response.status

        totals: dict[str, tuple[list[float], int, float]] = {}
        for _ in range(2):
            for name, path in (("trivial view", trivial_path), ("cached page", page_path)):
                started = time.perf_counter()
                latencies, errors = measure(port, path, args.seconds, args.clients)
                elapsed = time.perf_counter() - started
                previous = totals.get(name, ([], 0, 0.0))
                totals[name] = (previous[0] + latencies, previous[1] + errors, previous[2] + elapsed)

        print(f"-- {label}; page {len(body)} bytes of HTML")
        rates = {}
        for name, (latencies, errors, elapsed) in totals.items():
            rates[name] = len(latencies) / elapsed
            print(
                f"{name:>13}: {rates[name]:8.1f} req/s  p50 {statistics.median(latencies) * 1000:6.2f} ms  "
                f"p99 {percentile(latencies, 0.99) * 1000:6.2f} ms  errors {errors}"
            )
        ratio = rates["cached page"] / rates["trivial view"]
        print(
            f"page: pipeline {rates['cached page']:.0f}/s, baseline {rates['trivial view']:.0f}/s, "
            f"ratio {ratio:.2f} (target 0.5)"
        )
        return ratio
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
