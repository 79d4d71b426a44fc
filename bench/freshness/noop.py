"""The freshness benchmark's baseline task, loaded into the bench's worker with ``--include``: it does nothing but
record how long after its publish it ran (the queue round trip every real task pays too)."""

import time

import redis
from celery import shared_task
from django.conf import settings

NOOP_LATENCIES = "bench:freshness:noop"


@shared_task(name="bench.noop", ignore_result=True)
def noop(sent_at: float) -> None:
    """Record the publish-to-run latency of this run in seconds."""
    redis.Redis.from_url(settings.REDIS_URL).rpush(NOOP_LATENCIES, time.time() - sent_at)
