"""Email benchmark (run by hand, not in CI): the sending pipeline against a same-run bare anymail send.

    .venv/bin/python bench/emails/run.py [--emails 1000] [--database-url postgres://postgres@127.0.0.1:5432/pf_bench_emails]

A loopback fake ESP (``notifications.fake_esp``, Postmark's API) runs in its own process so the
sender does not share its GIL. This one process is one "worker": it creates ``--emails`` parcels
with a status change each (five languages), turns them into messages, then sends them exactly as the
Celery batch task does, ``messages_send`` per task of ``NOTIFICATIONS_SEND_BATCH`` (200, in chunks of 50): claim, read what
rendering needs, render in the customer's language with inlined CSS, hand to anymail's Postmark backend
over HTTP, record the results. After each pipeline batch the same number of *bare sends* run (anymail
sending an already rendered email to the same fake ESP), so both sides meet the same moments of a
shared machine. Prints:

* emails/second per worker process, by wall clock and per CPU-second of the process;
* p50/p95 render time (``email_render`` alone, on the same messages);
* the ratio line ``emails: pipeline X/s, baseline Y/s, ratio Z (target 0.5)``: what claiming,
  rendering and recording add around the send.

PostgreSQL by default, as in production (the database's name must start with ``pf_bench``; it is
dropped and recreated). ``--database-url sqlite:////tmp/pf_bench_emails.sqlite3`` works without a
server, but SQLite takes Django's slower ``bulk_update`` path, so its ratio is not the product's.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_environment(database_url: str, esp_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "false"
    os.environ["DATABASE_URL"] = database_url
    os.environ["EMAIL_BACKEND"] = "anymail.backends.postmark.EmailBackend"
    os.environ["ANYMAIL_POSTMARK_SERVER_TOKEN"] = "bench-token"
    os.environ["ANYMAIL_POSTMARK_API_URL"] = esp_url
    os.environ["LOG_LEVEL"] = "WARNING"
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def recreate_postgres(database_url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not name.startswith("pf_bench"):
        raise SystemExit("refusing to recreate a database whose name does not start with pf_bench")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def make_parcels(count: int) -> list[int]:
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone

    from shipments.models import Order, OrderItem, Shipment, StatusChange, TrackingEvent
    from shops.models import Shop

    shop = Shop.objects.create(
        name="Kawa i Spółka",
        slug="kawa",
        sender_name="Kawa i Spółka",
        sender_email="hello@kawa.example",
        support_email="pomoc@kawa.example",
        primary_color="#6B3E26",
        accent_color="#F2A900",
    )
    languages = ["pl", "en", "de", "cs", "sk"]
    now = timezone.now()
    change_ids = []
    for index in range(count):
        order = Order.objects.create(
            shop=shop,
            number=f"K-{index:06d}",
            customer_name="Anna Kowalska",
            customer_email=f"customer{index}@example.com",
            shipping_country="PL",
            locale=languages[index % len(languages)],
            email_marketing_consent=True,
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        OrderItem.objects.create(order=order, name="Kawa ziarnista 1 kg", quantity=2)
        shipment = Shipment.objects.create(
            shop=shop,
            order=order,
            carrier="inpost",
            tracking_number=f"6200000000000000{index:08d}",
            status="out_for_delivery",
            eta_from=now + timedelta(hours=3),
            eta_to=now + timedelta(hours=6),
        )
        TrackingEvent.objects.create(
            shipment=shipment,
            occurred_at=now - timedelta(minutes=30),
            status="out_for_delivery",
            text="Przesyłka wydana do doręczenia",
            location="Kraków",
            dedupe_key=f"{index:064x}",
        )
        StatusChange.objects.create(
            shipment=shipment,
            from_status="pending",
            to_status="in_transit",
            occurred_at=now - timedelta(days=1),
            processed_at=now - timedelta(days=1),
        )
        change = StatusChange.objects.create(
            shipment=shipment, from_status="in_transit", to_status="out_for_delivery", occurred_at=now
        )
        change_ids.append(change.pk)
    return change_ids


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="render + send benchmark")
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pf_bench_emails")
    arguments = parser.parse_args()

    port = free_port()
    esp = subprocess.Popen(
        [sys.executable, "-m", "notifications.fake_esp", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        esp_url = f"http://127.0.0.1:{port}/"
        prepare_environment(arguments.database_url, esp_url)
        if arguments.database_url.startswith("postgres"):
            recreate_postgres(arguments.database_url)
        run(arguments.emails, esp_url)
    finally:
        esp.terminate()
        esp.wait()


def run(count: int, esp_url: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery import worker_process_prepare
    from notifications import content, outbox, sending
    from notifications.models import Message, MessageStatus
    from notifications.rendering import RenderedEmail, email_render
    from notifications.unsubscribe import unsubscribe_url_for

    call_command("migrate", verbosity=0)
    wait_for(esp_url)
    change_ids = make_parcels(count)
    message_ids = [message_id for pk in change_ids for message_id in outbox.status_change_process(status_change_id=pk)]
    print(f"{len(message_ids)} messages queued ({count} parcels, 5 languages)")

    # Warm up: templates compiled, the ESP connection open; then the heap frozen as a Celery worker child does.
    sending.message_send(message_id=message_ids[0])
    worker_process_prepare()
    sample = Message.objects.select_related("shop").get(pk=message_ids[0])
    connection = sending._connection_for(sample.shop)
    rendered = RenderedEmail(subject=sample.subject, text=sample.text_body, html=sample.html_body)

    def bare_send(index: int) -> None:
        """The baseline: anymail alone sending an already rendered email, the same as the pipeline's (headers,
        metadata and tag included), to the same fake ESP."""
        email = sending._email_build(
            shop=sample.shop,
            to_email=f"b{index}@example.com",
            rendered=rendered,
            metadata={"message_id": str(index), "shop_id": str(sample.shop_id)},
            tag=f"status-{sample.to_status}",
            unsubscribe_url=unsubscribe_url_for(message_id=sample.pk),
        )
        connection.send_messages([email])

    # As the worker's batch task does: messages_send per task of send_batch_size() ids (chunks of 50 inside).
    # Each pipeline batch is followed by as many bare sends, so both sides see the same moments of a noisy machine.
    size = outbox.send_batch_size()
    elapsed = cpu = baseline_elapsed = baseline_cpu = 0.0
    for first in range(1, len(message_ids), size):
        batch = message_ids[first : first + size]
        started, cpu_started = time.perf_counter(), time.process_time()
        sending.messages_send(message_ids=batch)
        elapsed, cpu = elapsed + time.perf_counter() - started, cpu + time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        for index in batch:
            bare_send(index)
        baseline_elapsed += time.perf_counter() - started
        baseline_cpu += time.process_time() - cpu_started
    sent = Message.objects.filter(status=MessageStatus.SENT).count()
    per_second = (len(message_ids) - 1) / elapsed
    baseline = (len(message_ids) - 1) / baseline_elapsed

    render_times = []
    for message in Message.objects.select_related("shop", "order", "shipment", "status_change")[:count]:
        facts = content.message_facts(message, None)
        begin = time.perf_counter()
        email_render(facts)
        render_times.append((time.perf_counter() - begin) * 1000)

    print(f"sent: {sent}/{len(message_ids)}")
    print(f"pipeline: {per_second:.0f} emails/s per worker process (target >= 100/s)")
    # On a shared machine wall time includes waiting for a CPU; CPU time is what one dedicated core gives.
    print(f"pipeline CPU: {(len(message_ids) - 1) / cpu:.0f} emails per CPU-second of the worker process")
    print(f"render: p50 {statistics.median(render_times):.2f} ms, p95 {percentile(render_times, 0.95):.2f} ms")
    print(
        f"baseline (anymail send only): {baseline:.0f} emails/s, {(len(message_ids) - 1) / baseline_cpu:.0f} per CPU-second"
    )
    print(
        f"emails: pipeline {per_second:.0f}/s, baseline {baseline:.0f}/s, ratio {per_second / baseline:.2f} (target 0.5)"
    )


def wait_for(url: str) -> None:
    import requests

    for _ in range(50):
        try:
            requests.post(f"{url}email", json={"To": "warmup@example.com"}, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the fake ESP did not start")


if __name__ == "__main__":
    main()
