"""Freshness benchmark (run by hand, not in CI): carrier push -> email handed to the ESP, against a no-op task.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pf_bench_freshness \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
    .venv/bin/python bench/freshness/run.py [--rate 1] [--seconds 40] [--web-workers 2] [--concurrency 2]

Runs the real thing: gunicorn serving the project (the signed InPost push endpoint), one Celery worker
(prefork, ``--concurrency`` processes, consuming the ``emails`` and ``default`` queues from Redis), the
fake ESP (``notifications.fake_esp``, Postmark's API, through anymail). ``--rate`` pushes a second for
``--seconds`` each move one in-transit parcel to "out for delivery" (an urgent status: no settle window,
the email goes at once; ``--settle`` > 0 sets the shop's settle window and starts a beat for the release
tick, and is subtracted). In the same run, at the same rate, the driver publishes ``bench.noop`` to the
same worker, which records its publish-to-run latency: the baseline. Prints the load, p50/p99 of both,
the differences against the targets (p50 within 2 s of the baseline, p99 within 10 s), and the line
``freshness: pipeline X/s, baseline Y/s, ratio Z (target 1.0)`` (emails handed over per second against
no-ops run per second at the same offered rate: 1.0 means the pipeline keeps up).

The database (name must start with pf_bench) is dropped and recreated; the Redis database is flushed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

SECRET = "bench-freshness-secret"
SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from notifications.models import NotificationSettings
from shipments.models import CarrierAccount, Shipment
from shipments.services import order_upsert
from shops.services import shop_create

shop = shop_create(name="Bench shop", slug="bench-fresh", owner_email="owner@bench.example",
                   support_email="help@bench.example", sender_email="hello@bench.example").shop
NotificationSettings.objects.update_or_create(shop=shop, defaults={"settle_seconds": SETTLE})
CarrierAccount.objects.create(shop=shop, carrier="inpost", webhook_secret="SECRET")
numbers = []
for index in range(COUNT):
    number = f"62{index:022d}"
    order_upsert(shop=shop, number=f"F-{index}", customer_email=f"c{index}@example.com", locale="pl", shipping_country="PL",
                 items=[{"name": "Kawa", "quantity": 1}], shipments=[{"tracking_number": number, "carrier": "inpost"}])
    numbers.append(number)
Shipment.objects.filter(shop=shop).update(status="in_transit", status_changed_at=timezone.now() - timedelta(hours=5),
                                          next_poll_at=None)
print(json.dumps(numbers))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_until(check, what: str, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up")


def environment(web_port: int, esp_port: int, settle: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench-token",
        "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{esp_port}/",
        "BENCH_SETTLE": str(settle),
    }
    env.pop("PYTEST_VERSION", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1.0, help="pushes (and no-ops) per second")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes of the Celery worker")
    parser.add_argument("--settle", type=int, default=0, help="the shop's settle window in seconds (subtracted)")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for the last emails")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL, database name pf_bench...) and REDIS_URL")
    os.environ["DEBUG"] = "false"
    os.environ["DJANGO_ENV"] = "development"
    from bench.seeding import recreate_database

    recreate_database()
    web_port, esp_port = free_port(), free_port()
    env = environment(web_port, esp_port, arguments.settle)
    count = int(arguments.rate * arguments.seconds)
    subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = SEED.replace("COUNT", str(count)).replace("SETTLE", str(arguments.settle)).replace("SECRET", SECRET)
    # Creating the shop emails its owner; the fake ESP is not up yet and that email is not measured.
    seed_env = {**env, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    seeded = subprocess.run(
        [BIN / "python", "manage.py", "shell", "-v0", "-c", seed],
        cwd=ROOT,
        env=seed_env,
        capture_output=True,
        text=True,
    )
    if seeded.returncode:
        raise SystemExit(f"seeding failed:\n{seeded.stderr}")
    numbers = json.loads(seeded.stdout.strip().splitlines()[-1])

    import redis

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.flushdb()
    processes = start_services(arguments, env, web_port, esp_port)
    try:
        os.environ.update({key: env[key] for key in ("EMAIL_BACKEND", "PUBLIC_BASE_URL", "DJANGO_SETTINGS_MODULE")})
        import django

        django.setup()
        wait_until(lambda: socket.create_connection(("127.0.0.1", web_port), timeout=1).close() or True, "gunicorn")
        wait_until(lambda: socket.create_connection(("127.0.0.1", esp_port), timeout=1).close() or True, "fake ESP")
        wait_for_worker(broker)
        pushed_at, elapsed = drive(arguments, numbers, web_port)
        report(arguments, broker, pushed_at, elapsed)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.flushdb()


def start_services(arguments: argparse.Namespace, env: dict[str, str], web_port: int, esp_port: int) -> list:
    """The fake ESP, gunicorn, the Celery worker (and a beat when a settle window needs the release tick)."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen([BIN / "python", "-m", "notifications.fake_esp", "--port", str(esp_port)], cwd=ROOT, **quiet),
        subprocess.Popen(
            [
                BIN / "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                str(arguments.web_workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                BIN / "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "emails,default",
                "--concurrency",
                str(arguments.concurrency),
                "--include",
                "bench.freshness.noop",
                "--loglevel",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    if arguments.settle:
        processes.append(
            subprocess.Popen(
                [BIN / "celery", "-A", "config", "beat", "--loglevel", "warning", "--schedule", "/tmp/pf-bench-beat"],
                cwd=ROOT,
                env=env,
            )
        )
    return processes


def wait_for_worker(broker) -> None:  # type: ignore[no-untyped-def]
    """A no-op published and run: the worker is consuming (its latency is not counted)."""
    from bench.freshness.noop import NOOP_LATENCIES
    from config.celery import app

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        app.send_task("bench.noop", kwargs={"sent_at": time.time()})
        time.sleep(1.0)
        if broker.llen(NOOP_LATENCIES):
            # Drain what the start-up produced so only the measured no-ops count.
            time.sleep(1.0)
            broker.delete(NOOP_LATENCIES)
            return
    raise SystemExit("the Celery worker did not start")


def drive(arguments: argparse.Namespace, numbers: list[str], web_port: int) -> tuple[dict[str, float], float]:
    """Push one parcel and publish one no-op every 1/rate seconds; the moment of each push by number."""
    import httpx

    from config.celery import app
    from shipments.webhooks import SIGNATURE_HEADER, signature_for

    client = httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=30)
    pushed_at: dict[str, float] = {}
    failures: list[str] = []

    def push(number: str) -> None:
        body = json.dumps(
            {
                "event": "shipment_status_changed",
                "event_ts": time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime()),
                "payload": {"status": "out_for_delivery", "tracking_number": number},
            }
        ).encode()
        pushed_at[number] = time.time()
        response = client.post(
            "/webhooks/carriers/inpost/bench-fresh/",
            content=body,
            headers={SIGNATURE_HEADER: signature_for(SECRET, body), "Content-Type": "application/json"},
        )
        if response.status_code != 200 or response.json().get("status_changed") != 1:
            failures.append(f"{number}: HTTP {response.status_code} {response.text[:200]}")

    interval = 1.0 / arguments.rate
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for index, number in enumerate(numbers):
            delay = started + index * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(push, number)
            app.send_task("bench.noop", kwargs={"sent_at": time.time()})
    elapsed = time.monotonic() - started
    if failures:
        print(f"{len(failures)} pushes failed, e.g. {failures[0]}")
    return pushed_at, elapsed


def report(arguments: argparse.Namespace, broker, pushed_at: dict[str, float], elapsed: float) -> None:  # type: ignore[no-untyped-def]
    from bench.freshness.noop import NOOP_LATENCIES
    from notifications.models import Message

    expected = len(pushed_at)
    # Sent: the ESP answered that it has the email (a batch claims before its calls, so the claim is earlier).
    handed = Message.objects.filter(sent_at__isnull=False)
    deadline = time.monotonic() + arguments.drain
    while time.monotonic() < deadline and (handed.count() < expected or broker.llen(NOOP_LATENCIES) < expected):
        time.sleep(0.5)
    rows = handed.values_list("shipment__tracking_number", "sent_at")
    pipeline = [at.timestamp() - pushed_at[number] - arguments.settle for number, at in rows if number in pushed_at]
    baseline = [float(value) for value in broker.lrange(NOOP_LATENCIES, 0, -1)]
    if not pipeline or not baseline:
        raise SystemExit(f"nothing measured: {len(pipeline)} emails handed over, {len(baseline)} no-ops ran")
    print(
        f"load: {expected} pushes and {expected} no-ops at {arguments.rate:g}/s over {elapsed:.0f} s; "
        f"{arguments.web_workers} gunicorn workers, 1 Celery worker x {arguments.concurrency} processes; "
        f"settle window {arguments.settle} s; load average {os.getloadavg()[0]:.1f}"
    )
    for name, values in (("push -> ESP hand-off", pipeline), ("no-op publish -> run", baseline)):
        print(
            f"  {name}: n={len(values)}, p50 {statistics.median(values):.2f} s, "
            f"p99 {percentile(values, 0.99):.2f} s, max {max(values):.2f} s"
        )
    p50 = statistics.median(pipeline) - statistics.median(baseline)
    p99 = percentile(pipeline, 0.99) - percentile(baseline, 0.99)
    print(
        f"  beyond the baseline: p50 {p50:+.2f} s (target <= 2 s) {'OK' if p50 <= 2 else 'ABOVE'}, "
        f"p99 {p99:+.2f} s (target <= 10 s) {'OK' if p99 <= 10 else 'ABOVE'}"
    )
    # Rates over the same offered window: what got through, per second, by the moment the last push was sent.
    window = max(elapsed, 1e-9)
    pipeline_rate = len(pipeline) / window
    baseline_rate = len(baseline) / window
    print(
        f"freshness: pipeline {pipeline_rate:.1f}/s, baseline {baseline_rate:.1f}/s, "
        f"ratio {pipeline_rate / baseline_rate:.2f} (target 1.0)"
    )


if __name__ == "__main__":
    main()
