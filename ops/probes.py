"""Can this process reach its database, Redis and broker right now? Each probe answers within a short timeout.

Used by ``/readyz`` (which names only the failing part) and by ``manage.py doctor`` (which also shows the
detail and the server's version). A probe never raises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from kombu import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    """One dependency's answer: reachable or not, the server's version when known, the error otherwise."""

    name: str
    ok: bool
    version: str = ""
    error: str = ""
    seconds: float = 0.0


def database_probe(timeout: float) -> ProbeResult:
    """Open a fresh connection (not the request's, which may be healthy but stale) and run ``SELECT 1``."""
    connection = connections["default"]
    params = connection.get_connection_params()
    if connection.vendor == "postgresql":
        params["connect_timeout"] = max(1, round(timeout))
        params.setdefault("options", f"-c statement_timeout={int(timeout * 1000)}")
    raw = connection.get_new_connection(params)
    try:
        cursor = raw.cursor()
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = str(cursor.fetchone()[0])
        cursor.close()
    finally:
        raw.close()
    return ProbeResult("database", True, version=f"{connection.vendor} {version}")


def redis_probe(timeout: float) -> ProbeResult:
    """PING the cache and rate-limiter Redis; embedded setups (no ``REDIS_URL``) have none to reach."""
    if not settings.REDIS_URL:
        return ProbeResult("redis", True, version="not configured (local-memory cache)")
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "")
    finally:
        client.close()
    return ProbeResult("redis", True, version=f"redis {version}")


def broker_connection(timeout: float) -> Connection:
    """A connection to the Celery broker of its own (not the publishing pool) whose every wait is ``timeout``."""
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    return Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options)


def broker_probe(timeout: float) -> ProbeResult:
    """Connect to the Celery broker with a short timeout."""
    with broker_connection(timeout) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        transport = broker.transport_cls
    return ProbeResult("broker", True, version=f"kombu {transport}")


PROBES: dict[str, Callable[[float], ProbeResult]] = {
    "database": database_probe,
    "redis": redis_probe,
    "broker": broker_probe,
}


def probe(name: str, *, timeout: float | None = None) -> ProbeResult:
    """Run the probe ``name``; any failure becomes a result naming it (and is logged with the detail)."""
    timeout = settings.READYZ_TIMEOUT_SECONDS if timeout is None else timeout
    started = time.monotonic()
    try:
        result = PROBES[name](timeout)
    except Exception as error:
        logger.warning("readiness: %s unreachable: %s", name, error)
        result = ProbeResult(name, False, error=f"{type(error).__name__}: {error}")
    return ProbeResult(result.name, result.ok, result.version, result.error, time.monotonic() - started)


def probes_run(*, timeout: float | None = None) -> list[ProbeResult]:
    """Every dependency's probe, side by side (a hung one costs one timeout, not three), in a fixed order."""
    with ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="readyz") as pool:
        return list(pool.map(lambda name: probe(name, timeout=timeout), PROBES))
