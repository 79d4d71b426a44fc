"""The polling benchmark's same-run baseline: a *bare refresh*, the physical minimum of one poll's work.

Per shipment: the same HTTP GET to the fake carrier (InPost's ``/v1/tracking/<number>``, fetched with the
same number of requests in flight, in batches of the same size), one ``json.loads`` of the body, and one
transaction that inserts the event rows (one multi-row ``INSERT ... ON CONFLICT DO NOTHING`` on the
per-shipment key) and updates the shipment, in plain SQL, with the same ``synchronous_commit = off`` a
polled answer gets. No status rules, no ORM, no outbox row, no publish: what the pipeline adds on top of
this is what the ratio measures.
"""

from __future__ import annotations

import hashlib
import json
import resource
from concurrent.futures import ThreadPoolExecutor

BATCH = 50  # shipments.dispatch.NUMBERS_PER_TASK: the pipeline fetches and applies in batches of this size

INSERT_EVENTS = (
    "INSERT INTO shipments_trackingevent (shipment_id, occurred_at, status, reason, raw_code, text, location, "
    "source, mapped, dedupe_key, created_at) VALUES {} ON CONFLICT (shipment_id, dedupe_key) DO NOTHING"
)
EVENT_ROW = "(%s, %s::timestamptz, '', '', %s, '', %s, 'poll', true, %s, now())"
UPDATE_SHIPMENT = (
    "UPDATE shipments_shipment SET last_event_at = %s::timestamptz, last_polled_at = now(), "
    "poll_count = poll_count + 1, next_poll_at = now() + interval '1 hour', updated_at = now() WHERE id = %s"
)


def bare_refresh(cursor, shipment_id: int, body: bytes) -> int:  # type: ignore[no-untyped-def]
    """Parse one InPost answer and store its events and the shipment's poll in one transaction; events sent."""
    document = json.loads(body)
    rows: list[object] = []
    latest = None
    for detail in document.get("tracking_details") or ():
        at, code = detail["datetime"], detail["status"]
        agency = detail.get("agency") or ""
        key = hashlib.sha256(f"{at}\x1f{code}".encode()).hexdigest()
        rows += [shipment_id, at, code, str(agency), key]
        latest = max(latest or at, at)
    cursor.execute("BEGIN")
    cursor.execute("SET LOCAL synchronous_commit TO OFF")
    if rows:
        cursor.execute(INSERT_EVENTS.format(", ".join([EVENT_ROW] * (len(rows) // 5))), rows)
    cursor.execute(UPDATE_SHIPMENT, [latest, shipment_id])
    cursor.execute("COMMIT")
    return len(rows) // 5


def bare_worker(slot: int, results, concurrency: int, base_url: str, shipments: list[tuple[int, str]]) -> None:  # type: ignore[no-untyped-def]
    """Child process: refresh ``shipments`` (id, number) the bare way; report counts, peak RSS and CPU."""
    import django
    import httpx

    django.setup()
    from django.db import connection

    from config.celery import worker_process_prepare

    worker_process_prepare()  # the same process start as the pipeline's workers
    client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10.0, connect=5.0))

    def fetch(number: str) -> bytes:
        # An unknown number's 404 body has no events: stored as a poll with nothing new, like the pipeline's.
        return client.get(f"/v1/tracking/{number}", headers={"Accept": "application/json"}).content

    refreshed = events = 0
    started = resource.getrusage(resource.RUSAGE_SELF)
    connection.ensure_connection()
    raw = connection.connection  # psycopg's own connection: autocommit, explicit BEGIN/COMMIT
    raw.autocommit = True
    with raw.cursor() as cursor:
        for start in range(0, len(shipments), BATCH):
            batch = shipments[start : start + BATCH]
            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(batch)))) as pool:
                bodies = list(pool.map(fetch, [number for _, number in batch]))
            for (shipment_id, _), body in zip(batch, bodies, strict=True):
                events += bare_refresh(cursor, shipment_id, body)
                refreshed += 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - started.ru_utime - started.ru_stime  # the work, not the imports
    results.put((slot, refreshed, events, usage.ru_maxrss / 1024, cpu))
