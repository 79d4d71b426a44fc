"""Polling benchmark (run by hand, not in CI): the pipeline's refreshes/s against a same-run bare refresh.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pf_bench_polling \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
    .venv/bin/python bench/polling/run.py [--shipments 1500] [--workers 4] [--concurrency 50] [--big 100000]
    ... run.py --profile 400     # cProfile of the apply path in this process instead (prints, then exits)

1. Throughput against a baseline. The demo carrier (``carriers.simulator``'s WSGI app, InPost wire
   format, 100 ms added to every answer) runs threaded in its own process. Two equal sets of
   ``--shipments`` InPost shipments (one order each) are seeded. Each round, ``--workers`` processes
   (a) run the pipeline on the first set: loop "claim due (SKIP LOCKED) -> plan batches -> run
   ``shipments_poll_batch``" until nothing is due (real HTTP, parsing, a savepoint per shipment in a
   batch transaction with events, status change, outbox row and the publish to Redis); then (b) the
   same number of processes with the same requests in flight do the *bare refresh* of the second set
   (``bench/polling/bare.py``: the same GET, ``json.loads``, one plain-SQL transaction inserting the
   events and updating the shipment). Every worker process of either side starts as a Celery worker child
   does (``config.celery.worker_process_prepare``). Prints both rates, CPU per refresh and the ratio line
   ``polling: pipeline X/s, baseline Y/s, ratio Z (target 0.5)``.
2. Dispatcher scaling. One tick (``poll_dispatch``: claim + plan + enqueue on Redis) with 1,000 due
   among 10,000 active shipments, then among ``--big`` active (100,000 by default, ``--big 1000000`` for the
   million, which takes minutes to seed; rows made with generate_series);
   prints the median of several ticks each and their ratio (target <= 1.5). ``--big 0`` skips it.

The database named in DATABASE_URL (its name must start with pf_bench) is dropped and recreated; the
Redis database is flushed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.seeding import orders_insert, recreate_database  # noqa: E402  (after the path is set)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def serve_simulator(port: int, latency: float) -> None:
    """Child process: the demo carrier's WSGI app on a threaded server with a deep accept queue."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from carriers.simulator import make_wsgi_app

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 1024

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    make_server("127.0.0.1", port, make_wsgi_app(speed=720.0, latency=latency), Server, Quiet).serve_forever()


def seed_orders_and_shipments(*, count: int, shop_id: int, due: bool, prefix: str) -> None:
    """``count`` orders with one InPost shipment each, made in SQL (generate_series)."""
    from django.db import connection

    with connection.cursor() as cursor:
        orders_insert(cursor, shop_id=shop_id, prefix=prefix, count=count)
        cursor.execute(
            """
            INSERT INTO shipments_shipment (shop_id, order_id, carrier, tracking_number, direction, public_token,
                service, status, reason, pickup_point, proof_of_delivery, next_poll_at, poll_count, last_error,
                last_error_kind, poll_errors, created_at, updated_at)
            SELECT %s, o.id, 'inpost', '62' || lpad(o.id::text, 22, '0'), 'outbound', md5('s' || o.id) || md5(%s),
                '', 'pending', '', NULL, NULL, CASE WHEN %s THEN now() - interval '1 minute'
                ELSE now() + interval '1 hour' + random() * interval '24 hours' END, 0, '', '', 0, now(), now()
            FROM shipments_order o WHERE o.number LIKE %s
            """,
            [shop_id, prefix, due, f"{prefix}%"],
        )
        cursor.execute("ANALYZE shipments_order; ANALYZE shipments_shipment")


def process_cpu_seconds(names: tuple[str, ...], pids: tuple[int, ...] = ()) -> float:
    """CPU seconds of every process whose command name starts with one of ``names``, plus ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if int(entry.name) in pids or name.startswith(names):
            fields = stat[stat.rindex(")") + 2 :].split()
            # utime + stime, and cutime + cstime: PostgreSQL backends that exited count in the postmaster's.
            total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def worker(slot: int, results) -> None:  # type: ignore[no-untyped-def]
    """Child process: claim, plan and run batches until nothing is due; report counts, peak RSS and CPU."""
    import django

    django.setup()
    from django.utils import timezone

    from config.celery import worker_process_prepare
    from shipments.dispatch import poll_batches_plan, shipments_claim_due, shipments_poll_batch

    worker_process_prepare()  # as a Celery worker child starts
    fetched = errors = 0
    started = resource.getrusage(resource.RUSAGE_SELF)
    while claimed := shipments_claim_due(now=timezone.now(), limit=200):
        for batch in poll_batches_plan(claimed):
            report = shipments_poll_batch(carrier=batch.carrier, shipment_ids=batch.shipment_ids)
            fetched += report.fetched
            errors += sum(report.errors.values())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - started.ru_utime - started.ru_stime  # the work, not the imports
    results.put((slot, fetched, errors, usage.ru_maxrss / 1024, cpu))


@dataclass
class Round:
    """One side's totals over the rounds: refreshes, wall seconds, worker CPU seconds, peak RSS per slot."""

    refreshed: int = 0
    elapsed: float = 0.0
    worker_cpu: float = 0.0
    services_cpu: float = 0.0
    simulator_cpu: float = 0.0
    peaks: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.refreshed / self.elapsed if self.elapsed else 0.0

    def cpu_line(self) -> str:
        per = 1000 / max(1, self.refreshed)
        workers, services, simulator = self.worker_cpu * per, self.services_cpu * per, self.simulator_cpu * per
        return (
            f"CPU per refresh: workers {workers:.1f} ms + PostgreSQL/Redis {services:.1f} ms + fake carrier "
            f"{simulator:.1f} ms = {workers + services + simulator:.1f} ms"
        )


def run_processes(target, argument_lists: list[tuple], side: Round, simulator_pid: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Fork one process per argument tuple (each gets ``slot, results`` first), wait, add their totals to ``side``."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    services_cpu = process_cpu_seconds(("postgres", "redis-server"))
    simulator_cpu = process_cpu_seconds((), (simulator_pid,))
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.perf_counter()
    processes = [
        context.Process(target=target, args=(slot, results, *arguments))
        for slot, arguments in enumerate(argument_lists)
    ]
    for process in processes:
        process.start()
    reports = [results.get() for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    side.elapsed += elapsed
    side.refreshed += sum(report[1] for report in reports)
    side.worker_cpu += sum(report[4] for report in reports)
    side.services_cpu += process_cpu_seconds(("postgres", "redis-server")) - services_cpu
    side.simulator_cpu += process_cpu_seconds((), (simulator_pid,)) - simulator_cpu
    for slot, _, _, rss, _ in reports:
        side.peaks += [0.0] * (slot + 1 - len(side.peaks))
        side.peaks[slot] = max(side.peaks[slot], rss)
    return reports


def throughput(
    *, shipments: int, workers: int, concurrency: int, rounds: int, simulator_pid: int, base_url: str
) -> tuple[float, float]:
    """Pipeline and bare refresh rounds, interleaved; prints each and returns (pipeline/s, baseline/s)."""
    from django.conf import settings
    from django.utils import timezone

    from bench.polling.bare import bare_worker
    from shipments.models import Shipment, StatusChange, TrackingEvent
    from shops.models import Shop

    # Both sides must have the same requests in flight, or the ratio measures waiting, not work.
    assert concurrency == settings.CARRIER_FETCH_CONCURRENCY, settings.CARRIER_FETCH_CONCURRENCY
    shop = Shop.objects.create(name="Bench", slug="bench")
    bare_shop = Shop.objects.create(name="Bench bare", slug="bench-bare")
    seed_orders_and_shipments(count=shipments, shop_id=shop.pk, due=True, prefix="T-")
    seed_orders_and_shipments(count=shipments, shop_id=bare_shop.pk, due=False, prefix="R-")
    bare_rows = list(Shipment.objects.filter(shop=bare_shop).order_by("pk").values_list("pk", "tracking_number"))
    slices = [(concurrency, base_url, bare_rows[slot::workers]) for slot in range(workers)]
    print(f"throughput: {shipments} shipments per side, {workers} worker processes x {concurrency} requests in flight")
    pipeline, bare = Round(), Round()
    for round_number in range(1, rounds + 1):
        if round_number > 1:
            Shipment.objects.filter(shop=shop, next_poll_at__isnull=False).update(next_poll_at=timezone.now())
        events, changes = TrackingEvent.objects.count(), StatusChange.objects.count()
        before = pipeline.refreshed, pipeline.elapsed
        reports = run_processes(worker, [()] * workers, pipeline, simulator_pid)
        refreshed, elapsed = pipeline.refreshed - before[0], pipeline.elapsed - before[1]
        print(
            f"  round {round_number} pipeline: {refreshed} in {elapsed:.1f} s = {refreshed / elapsed:.0f}/s; "
            f"errors {sum(r[2] for r in reports)}, new events {TrackingEvent.objects.count() - events}, "
            f"status changes {StatusChange.objects.count() - changes}; load average {os.getloadavg()[0]:.1f}"
        )
        events = TrackingEvent.objects.count()
        before = bare.refreshed, bare.elapsed
        run_processes(bare_worker, slices, bare, simulator_pid)
        refreshed, elapsed = bare.refreshed - before[0], bare.elapsed - before[1]
        print(
            f"  round {round_number} bare:     {refreshed} in {elapsed:.1f} s = {refreshed / elapsed:.0f}/s; "
            f"new events {TrackingEvent.objects.count() - events}; load average {os.getloadavg()[0]:.1f}"
        )
    print(f"  pipeline {pipeline.cpu_line()}")
    print(f"  bare     {bare.cpu_line()}")
    print("  worker peak RSS (pipeline): " + ", ".join(f"{rss:.0f} MiB" for rss in pipeline.peaks))
    return pipeline.rate, bare.rate


def profile(*, shipments: int) -> None:
    """cProfile one in-process worker over ``shipments`` due parcels (first poll, then a second) and print the top."""
    import cProfile
    import pstats

    from django.utils import timezone

    from shipments.dispatch import poll_batches_plan, shipments_claim_due, shipments_poll_batch
    from shipments.models import Shipment
    from shops.models import Shop

    shop = Shop.objects.create(name="Bench", slug="bench")
    seed_orders_and_shipments(count=shipments, shop_id=shop.pk, due=True, prefix="T-")
    # Thread CPU time, not waiting for a core. Since Python 3.12 cProfile also sees the fetch threads, whose lock
    # waits then show absurd (even negative) totals: read the apply path's rows, not the threading ones.
    profiler = cProfile.Profile(time.thread_time)
    for _ in range(2):
        Shipment.objects.filter(next_poll_at__isnull=False).update(next_poll_at=timezone.now())
        started, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        refreshed = 0
        while claimed := shipments_claim_due(now=timezone.now(), limit=200):
            for batch in poll_batches_plan(claimed):
                refreshed += shipments_poll_batch(carrier=batch.carrier, shipment_ids=batch.shipment_ids).fetched
        profiler.disable()
        print(
            f"profile: {refreshed} refreshes in {time.perf_counter() - started:.1f} s, "
            f"{(time.process_time() - cpu) * 1000 / max(1, refreshed):.1f} ms CPU each (fetch threads included)"
        )
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


def tick_time(repeats: int) -> float:
    """Median seconds of one dispatcher tick claiming the 1,000 due rows; due rows are reset between ticks."""
    from django.db import connection
    from django.utils import timezone

    from shipments.dispatch import poll_dispatch

    timings = []
    for _ in range(repeats + 1):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE shipments_shipment SET next_poll_at = now() - interval '1 minute' "
                "WHERE tracking_number LIKE 'DUE%%'"
            )
        started = time.perf_counter()
        batches = poll_dispatch(now=timezone.now(), limit=5000)
        timings.append(time.perf_counter() - started)
        assert sum(len(batch.shipment_ids) for batch in batches) == 1000, batches
    return statistics.median(timings[1:])


def dispatcher_scaling(*, big: int, repeats: int) -> None:
    import redis
    from django.conf import settings
    from django.db import connection

    from shipments.models import Shipment
    from shops.models import Shop

    Shipment.objects.all().delete()
    shop = Shop.objects.get(slug="bench")
    seed_orders_and_shipments(count=9000, shop_id=shop.pk, due=False, prefix="A-")
    seed_orders_and_shipments(count=1000, shop_id=shop.pk, due=True, prefix="D-")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE shipments_shipment SET tracking_number = 'DUE' || id WHERE order_id IN "
            "(SELECT id FROM shipments_order WHERE number LIKE 'D-%%')"
        )
        cursor.execute("VACUUM ANALYZE shipments_shipment")
    small = tick_time(repeats)
    started = time.perf_counter()
    seed_orders_and_shipments(count=big - 10_000, shop_id=shop.pk, due=False, prefix="B-")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE shipments_shipment")
    seeded = time.perf_counter() - started
    active = Shipment.objects.count()
    large = tick_time(repeats)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    print(f"dispatcher tick (claim 1,000 due + plan + enqueue), median of {repeats}:")
    print(f"  among 10,000 active: {small * 1000:.1f} ms")
    print(f"  among {active:,} active: {large * 1000:.1f} ms (seeded in {seeded:.0f} s)")
    print(f"  ratio: {large / small:.2f} (target <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=1500, help="shipments per side (pipeline, bare)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=50, help="carrier requests in flight per worker")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=2, help="polls of every shipment (journeys move between)")
    parser.add_argument(
        "--big", type=int, default=100_000, help="active rows for the dispatcher tick (1000000: slow to seed); 0 skips"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--port", type=int, default=8197)
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many shipments in-process instead")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve_simulator(arguments.port, arguments.latency)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL, database name pf_bench...) and REDIS_URL")
    base_url = f"http://127.0.0.1:{arguments.port}/inpost"
    os.environ["CARRIER_INPOST_BASE_URL"] = base_url
    os.environ["CARRIER_INPOST_RATE"] = "none"
    # Read once by the settings, before the workers fork: the pipeline fetches with as many requests in
    # flight as the bare refresh (set in a child it came too late, and batches ran at the default 8).
    os.environ["CARRIER_FETCH_CONCURRENCY"] = str(arguments.concurrency)
    # Per-request INFO lines from httpx would be most of a worker's output; production sets this too.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # As production runs: DEBUG would record every SQL statement in memory (the bare refresh bypasses it).
    os.environ["DEBUG"] = "false"
    recreate_database()
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    simulator = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--port", str(arguments.port), "--latency", str(arguments.latency)]
    )
    try:
        time.sleep(1.0)
        if arguments.profile:
            profile(shipments=arguments.profile)
            return
        pipeline, baseline = throughput(
            shipments=arguments.shipments,
            workers=arguments.workers,
            concurrency=arguments.concurrency,
            rounds=arguments.rounds,
            simulator_pid=simulator.pid,
            base_url=base_url,
        )
        if arguments.big:
            dispatcher_scaling(big=arguments.big, repeats=arguments.repeats)
        print(
            f"polling: pipeline {pipeline:.0f}/s, baseline {baseline:.0f}/s, ratio {pipeline / baseline:.2f} (target 0.5)"
        )
    finally:
        simulator.terminate()
        simulator.wait()
        redis.Redis.from_url(settings.REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
