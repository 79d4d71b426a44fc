"""When to ask carriers again, who asks, and how fast: schedule, dispatcher, batch run, rate limiter.

Schedule (``next_poll_at`` after every answer; ``age`` = time since the shipment was added,
``quiet`` = time since the newest carrier event; every interval gets ±10 % jitter so parcels added
together spread out):

=========================================  ===========================================
status / situation                          next poll after
=========================================  ===========================================
final (delivered, returned, cancelled,      never (``next_poll_at = None``)
expired)
pending, info_received                      1 h while age < 1 day, 3 h while < 3 days, then 6 h
in_transit                                  2.5 h
out_for_delivery                            30 min
available_for_pickup                        3 h
failed_attempt, exception                   1 h
returning_to_sender                         6 h
idle: non-pending and quiet >= 3 days       at least 12 h (quiet >= 7 days: 24 h)
carrier minimum interval                    never sooner than ``CARRIER_MIN_INTERVAL``
                                            (DHL: 2.4 h = its 10 fetches per shipment per day)
=========================================  ===========================================

Errors (``poll_errors`` = failures in a row, reset by the next good answer):

* ``transient`` / ``rate_limited``: 2 min * 2^(n-1), capped at 2 h, jittered, never before the
  carrier's Retry-After;
* ``not_found``: the pending schedule, except 20 min while the shipment is under 2 h old
  (carriers take 10-30 min to learn a new number);
* ``auth``: the shop's account for that carrier is paused for ``AUTH_PAUSE`` and its parcels wait
  until then; the admin shows the error;
* ``invalid_number``, ``expired``, ``carrier_error``: 1 h * 2^(n-1), capped at 24 h.

Expiry: a non-final shipment older than ``MAX_AGE`` (60 days), or still ``pending`` with no carrier
event after ``MAX_AGE_WITHOUT_INFO`` (30 days), becomes ``expired`` with a StatusChange, and is
never polled again.

Dispatch: a beat tick claims due rows (``SELECT ... FOR UPDATE SKIP LOCKED`` through the partial
index ``shipment_due``, so a tick costs O(due)), moves their ``next_poll_at`` forward by ``LEASE``
(a crashed batch is retried after the lease), groups them by carrier and credentials and enqueues
``shipments.poll_batch`` tasks on the ``carriers`` queue.

Rate limits: one token bucket per carrier (``CARRIER_RATES``, requests per second; overridable with
``CARRIER_<CODE>_RATE``), in Redis when ``REDIS_URL`` is set so every worker shares it, in process
otherwise.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from carriers.base import CarrierAdapter, Outcome
from carriers.registry import UnknownCarrier, adapter_class, build_adapter
from carriers.types import FINAL_STATUSES, CarrierConfig, ErrorKind, Status, TrackingError
from shipments.models import CarrierAccount, Shipment

logger = logging.getLogger(__name__)

JITTER = 0.10
LEASE = timedelta(minutes=10)
AUTH_PAUSE = timedelta(hours=1)
MAX_AGE = timedelta(days=60)
MAX_AGE_WITHOUT_INFO = timedelta(days=30)
NEW_NUMBER_AGE = timedelta(hours=2)
NEW_NUMBER_RETRY = timedelta(minutes=20)
IDLE_AFTER = timedelta(days=3)
VERY_IDLE_AFTER = timedelta(days=7)

STATUS_INTERVALS: Mapping[str, timedelta] = {
    Status.IN_TRANSIT: timedelta(hours=2, minutes=30),
    Status.OUT_FOR_DELIVERY: timedelta(minutes=30),
    Status.AVAILABLE_FOR_PICKUP: timedelta(hours=3),
    Status.FAILED_ATTEMPT: timedelta(hours=1),
    Status.EXCEPTION: timedelta(hours=1),
    Status.RETURNING_TO_SENDER: timedelta(hours=6),
}
# Quotas per shipment: DHL asks for at most 10 fetches per shipment per day.
CARRIER_MIN_INTERVAL: Mapping[str, timedelta] = {"dhl": timedelta(days=1) / 10}

# Requests per second each carrier tolerates from us. DHL's is documented (1 call/s); the others
# publish none, so these are deliberately polite defaults. None = unlimited (loopback simulator).
CARRIER_RATES: Mapping[str, float | None] = {
    "dhl": 1.0,
    "inpost": 5.0,
    "poczta_polska": 5.0,
    "packeta": 5.0,
    "orlen": 5.0,
    "dpd": 5.0,
    "gls": 5.0,
    "ups": 5.0,
    "fedex": 5.0,
}
DEFAULT_RATE = 2.0

TRANSIENT_BACKOFF = timedelta(minutes=2)
TRANSIENT_CAP = timedelta(hours=2)
PERMANENT_BACKOFF = timedelta(hours=1)
PERMANENT_CAP = timedelta(hours=24)

# Numbers per batch task: several adapter calls per task amortize the queue round trip while the
# rate limiter still paces the calls themselves.
NUMBERS_PER_TASK = 50
# Carrier calls in flight per batch task (threads; the HTTP client is shared and thread-safe).
FETCH_CONCURRENCY = int(os.environ.get("CARRIER_FETCH_CONCURRENCY", "8"))
# Seconds a batch may spend waiting for rate-limit tokens and fetching (the task soft limit is 240 s).
FETCH_BUDGET_SECONDS = 120.0


# --------------------------------------------------------------------------- schedule


def jittered(interval: timedelta) -> timedelta:
    """``interval`` ± JITTER, so parcels added together do not stay in lockstep."""
    return interval * (1 + random.uniform(-JITTER, JITTER))


def expiry_due(*, status: str, created_at: datetime, last_event_at: datetime | None, now: datetime) -> bool:
    """True when a non-final shipment has been tracked for too long (see the module table)."""
    if status in FINAL_STATUSES:
        return False
    age = now - created_at
    if age >= MAX_AGE:
        return True
    return status == Status.PENDING and last_event_at is None and age >= MAX_AGE_WITHOUT_INFO


def status_interval(*, status: str, created_at: datetime, last_event_at: datetime | None, now: datetime) -> timedelta:
    """The un-jittered interval for a shipment answered without error (the module table)."""
    age = now - created_at
    if status in (Status.PENDING, Status.INFO_RECEIVED):
        if age < timedelta(days=1):
            return timedelta(hours=1)
        return timedelta(hours=3) if age < timedelta(days=3) else timedelta(hours=6)
    interval = STATUS_INTERVALS.get(status, timedelta(hours=3))
    quiet = now - last_event_at if last_event_at is not None else age
    if quiet >= VERY_IDLE_AFTER:
        interval = max(interval, timedelta(hours=24))
    elif quiet >= IDLE_AFTER:
        interval = max(interval, timedelta(hours=12))
    return interval


def error_interval(
    *, kind: str, errors_in_row: int, retry_after: float | None, created_at: datetime, now: datetime
) -> timedelta:
    """The un-jittered wait after a failed poll (the module's error rules); auth is handled by pausing."""
    exponent = max(0, errors_in_row - 1)
    if kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
        wait = min(TRANSIENT_CAP, TRANSIENT_BACKOFF * 2 ** min(exponent, 16))
        return max(wait, timedelta(seconds=retry_after or 0))
    if kind == ErrorKind.NOT_FOUND:
        if now - created_at < NEW_NUMBER_AGE:
            return NEW_NUMBER_RETRY
        return status_interval(status=Status.PENDING, created_at=created_at, last_event_at=None, now=now)
    if kind == ErrorKind.AUTH:
        return AUTH_PAUSE
    return min(PERMANENT_CAP, PERMANENT_BACKOFF * 2 ** min(exponent, 16))


def next_poll_time(
    *,
    carrier: str,
    status: str,
    created_at: datetime,
    last_event_at: datetime | None,
    now: datetime,
    error: TrackingError | None = None,
    errors_in_row: int = 0,
) -> datetime | None:
    """When to poll next: None for final statuses, else the table's interval, jittered, within quota."""
    if error is None and status in FINAL_STATUSES:
        return None
    if error is None:
        interval = status_interval(status=status, created_at=created_at, last_event_at=last_event_at, now=now)
    else:
        interval = error_interval(
            kind=error.kind, errors_in_row=errors_in_row, retry_after=error.retry_after, created_at=created_at, now=now
        )
    wait = jittered(interval)
    if error is not None and error.retry_after:
        # Jitter must not pull a retry before the carrier's own Retry-After.
        wait = max(wait, timedelta(seconds=error.retry_after))
    # POLLING_TIME_SCALE < 1 only where journeys are compressed too (the demo's fake carrier).
    return now + max(wait, CARRIER_MIN_INTERVAL.get(carrier, timedelta(0))) * settings.POLLING_TIME_SCALE


# --------------------------------------------------------------------------- carrier settings


def carrier_env_config(carrier: str) -> CarrierConfig:
    """The deployment's settings for ``carrier`` from ``CARRIER_<CODE>_*`` (settings.CARRIER_ENV).

    BASE_URL, API_KEY, USERNAME, PASSWORD, ACCOUNT and TIMEOUT fill the named fields; any other
    suffix goes to ``extra`` in lower case (e.g. ``CARRIER_POCZTA_POLSKA_BATCH_SIZE``).
    """
    prefix = f"CARRIER_{carrier.upper()}_"
    others = tuple(f"{code.upper()}_" for code in _codes_extending(carrier))
    values: dict[str, str] = {}
    for key, value in settings.CARRIER_ENV.items():
        if key.startswith(prefix) and not key[len(prefix) :].startswith(others or ("\0",)):
            values[key[len(prefix) :]] = value
    extra = {
        name.lower(): value
        for name, value in values.items()
        if name not in {"BASE_URL", "API_KEY", "USERNAME", "PASSWORD", "ACCOUNT", "TIMEOUT", "RATE"}
    }
    return CarrierConfig(
        base_url=values.get("BASE_URL", ""),
        api_key=values.get("API_KEY", ""),
        username=values.get("USERNAME", ""),
        password=values.get("PASSWORD", ""),
        account=values.get("ACCOUNT", ""),
        extra=extra,
        timeout=float(values.get("TIMEOUT") or settings.CARRIER_HTTP_TIMEOUT),
    )


def _codes_extending(carrier: str) -> list[str]:
    # "dhl" must not read CARRIER_DHL_EXPRESS_* if a carrier "dhl_express" exists.
    from carriers.registry import carrier_codes

    return [code[len(carrier) + 1 :] for code in carrier_codes() if code.startswith(f"{carrier}_")]


def carrier_config(carrier: str, account: CarrierAccount | None) -> CarrierConfig:
    """Env settings for ``carrier``, with the shop's own credentials in place when it has any.

    The base URL always comes from the deployment: a shop must not point our workers elsewhere.
    """
    config = carrier_env_config(carrier)
    if account is None or not account.has_credentials:
        return config
    return CarrierConfig(
        base_url=config.base_url,
        api_key=account.api_key,
        username=account.username,
        password=account.password,
        account=account.account_number,
        extra=config.extra,
        timeout=config.timeout,
    )


def carrier_rate(carrier: str) -> float | None:
    """Requests per second for ``carrier``: ``CARRIER_<CODE>_RATE`` ("0" or "none" = unlimited) or the table."""
    configured = settings.CARRIER_ENV.get(f"CARRIER_{carrier.upper()}_RATE")
    if configured is not None:
        if configured.strip().lower() in {"", "0", "none", "unlimited"}:
            return None
        return float(configured)
    return CARRIER_RATES.get(carrier, DEFAULT_RATE)


# --------------------------------------------------------------------------- rate limiter

# KEYS[1] bucket key; ARGV: rate/s, burst, now (s), cost. Returns seconds to wait (0 = granted).
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RateLimiter:
    """Per-carrier token buckets: ``acquire(carrier)`` blocks until a request may go out.

    Shared through Redis (a Lua script, atomic across workers) when ``redis_url`` is given; in
    process otherwise. Redis trouble falls back to the in-process bucket rather than stopping polls.
    """

    def __init__(self, *, redis_url: str = "", burst_seconds: float = 1.0) -> None:
        self.burst_seconds = burst_seconds
        self._redis_url = redis_url
        self._redis = None
        self._script = None
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, carrier: str, *, max_wait: float = 30.0) -> bool:
        """Wait up to ``max_wait`` seconds for a token for ``carrier``; False when none came in time."""
        rate = carrier_rate(carrier)
        if rate is None:
            return True
        deadline = time.monotonic() + max_wait
        while True:
            wait = self._take(carrier, rate)
            if wait <= 0:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(wait, remaining))

    def _take(self, carrier: str, rate: float) -> float:
        burst = max(1.0, rate * self.burst_seconds)
        if self._redis_url:
            try:
                return self._take_redis(carrier, rate, burst)
            except Exception:
                logger.warning("rate limiter: Redis unavailable, limiting %s in process", carrier, exc_info=True)
        return self._take_local(carrier, rate, burst)

    def _take_redis(self, carrier: str, rate: float, burst: float) -> float:
        if self._script is None:
            import redis

            self._redis = redis.Redis.from_url(
                self._redis_url, socket_timeout=settings.REDIS_SOCKET_TIMEOUT, socket_connect_timeout=2
            )
            self._script = self._redis.register_script(_BUCKET_SCRIPT)
        answer = self._script(keys=[f"pf:rate:carrier:{carrier}"], args=[rate, burst, time.time(), 1])
        return float(answer)

    def _take_local(self, carrier: str, rate: float, burst: float) -> float:
        with self._lock:
            now = time.monotonic()
            tokens, at = self._buckets.get(carrier, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1:
                self._buckets[carrier] = (tokens - 1, now)
                return 0.0
            self._buckets[carrier] = (tokens, now)
            return (1 - tokens) / rate


_limiter: RateLimiter | None = None
_limiter_lock = threading.Lock()


def rate_limiter() -> RateLimiter:
    """The process-wide limiter (Redis-backed when REDIS_URL is set)."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = RateLimiter(redis_url=settings.REDIS_URL)
        return _limiter


# --------------------------------------------------------------------------- HTTP client

_client: httpx.Client | None = None
_client_pid = 0


def http_client() -> httpx.Client:
    """One pooled client per process (recreated after fork); per-request timeouts come from the adapter."""
    global _client, _client_pid
    with _limiter_lock:
        if _client is None or _client_pid != os.getpid():
            _client = httpx.Client(
                timeout=httpx.Timeout(settings.CARRIER_HTTP_TIMEOUT, connect=5.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                headers={"User-Agent": "Parcelfront/0.1 (+tracking)"},
                follow_redirects=False,
            )
            _client_pid = os.getpid()
        return _client


_adapters: dict[tuple[str, CarrierConfig], CarrierAdapter] = {}
_ADAPTER_CACHE_SIZE = 256


def cached_adapter(carrier: str, config: CarrierConfig) -> CarrierAdapter:
    """An adapter per (carrier, settings) kept for the process, so OAuth and login tokens are reused."""
    client = http_client()
    key = (carrier, config)
    with _limiter_lock:
        adapter = _adapters.get(key)
        if adapter is None or adapter.client is not client:
            if len(_adapters) >= _ADAPTER_CACHE_SIZE:
                _adapters.clear()
            adapter = _adapters[key] = build_adapter(carrier, config=config, client=client)
        return adapter


# --------------------------------------------------------------------------- dispatcher


@dataclass(frozen=True)
class PollBatch:
    """One task's worth of work: shipments of one carrier sharing one set of credentials."""

    carrier: str
    account_id: int | None
    shipment_ids: tuple[int, ...]


def shipments_claim_due(
    *, now: datetime, limit: int, shop_id: int | None = None, carrier: str | None = None
) -> list[tuple[int, int, str]]:
    """Claim up to ``limit`` due shipments as ``(id, shop_id, carrier)``, pushing them a lease ahead.

    ``FOR UPDATE SKIP LOCKED`` lets concurrent dispatchers take disjoint rows; on SQLite (no row
    locks) the IMMEDIATE transaction serializes the select and update instead.
    """
    with transaction.atomic():
        due = Shipment.objects.filter(next_poll_at__lte=now)
        if shop_id is not None:
            due = due.filter(shop_id=shop_id)
        if carrier is not None:
            due = due.filter(carrier=carrier)
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_poll_at")
            .values_list("id", "shop_id", "carrier")[:limit]
        )
        if rows:
            Shipment.objects.filter(pk__in=[row[0] for row in rows]).update(next_poll_at=now + LEASE)
    return rows


def poll_batches_plan(claimed: Iterable[tuple[int, int, str]]) -> list[PollBatch]:
    """Group claimed shipments by carrier and credentials, chunked to whole adapter batches."""
    claimed = list(claimed)
    shop_ids = {shop for _, shop, _ in claimed}
    carriers = {carrier for _, _, carrier in claimed}
    own_credentials = {
        (account.shop_id, account.carrier): account.pk
        for account in CarrierAccount.objects.filter(shop_id__in=shop_ids, carrier__in=carriers)
        if account.has_credentials
    }
    groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for shipment_id, shop, carrier in claimed:
        groups[(carrier, own_credentials.get((shop, carrier)))].append(shipment_id)
    batches = []
    for (carrier, account_id), ids in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        size = _task_size(carrier)
        for start in range(0, len(ids), size):
            batches.append(PollBatch(carrier, account_id, tuple(ids[start : start + size])))
    return batches


def _task_size(carrier: str) -> int:
    try:
        batch_size = max(1, adapter_class(carrier).batch_size)
    except KeyError:
        return NUMBERS_PER_TASK
    return batch_size * max(1, math.ceil(NUMBERS_PER_TASK / batch_size))


def poll_dispatch(
    *, now: datetime | None = None, limit: int = 5000, shop_id: int | None = None, carrier: str | None = None
) -> list[PollBatch]:
    """One dispatcher tick: claim due shipments and enqueue their batch tasks after the claim commits."""
    from config.celery import publish_on_commit

    now = now or timezone.now()
    with transaction.atomic():
        batches = poll_batches_plan(shipments_claim_due(now=now, limit=limit, shop_id=shop_id, carrier=carrier))
        for batch in batches:
            publish_on_commit(
                "shipments.poll_batch",
                carrier=batch.carrier,
                shipment_ids=list(batch.shipment_ids),
                account_id=batch.account_id,
            )
    return batches


def shipments_poll_now(*, shipment_ids: Sequence[int], now: datetime | None = None) -> int:
    """Make non-final shipments due now (admin "poll now"), within each carrier's per-shipment quota.

    Returns how many were made due; a DHL parcel polled less than 2.4 h ago becomes due when its
    quota allows instead.
    """
    now = now or timezone.now()
    open_shipments = Shipment.objects.filter(pk__in=list(shipment_ids)).exclude(status__in=list(FINAL_STATUSES))
    count = open_shipments.exclude(carrier__in=list(CARRIER_MIN_INTERVAL)).update(next_poll_at=now)
    for shipment in open_shipments.filter(carrier__in=list(CARRIER_MIN_INTERVAL)).only("carrier", "last_polled_at"):
        allowed = shipment.last_polled_at + CARRIER_MIN_INTERVAL[shipment.carrier] if shipment.last_polled_at else now
        Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=max(now, allowed))
        count += 1
    return count


# --------------------------------------------------------------------------- batch run


@dataclass
class BatchReport:
    """What one batch did, for the ops command and logs."""

    carrier: str
    fetched: int = 0
    changed: int = 0
    new_events: int = 0
    skipped: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def merge(self, other: BatchReport) -> None:
        """Add ``other``'s counts to this report."""
        self.fetched += other.fetched
        self.changed += other.changed
        self.new_events += other.new_events
        self.skipped += other.skipped
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count


def shipments_poll_batch(
    *,
    carrier: str,
    shipment_ids: Sequence[int],
    account_id: int | None = None,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> BatchReport:
    """Fetch ``carrier``'s answers for the shipments and apply each; safe to run twice.

    Final shipments and shops whose account is disabled or paused are skipped (paused ones wait
    until the pause ends). An auth error pauses the shop's account for ``AUTH_PAUSE``.
    """
    # Imported here because shipments.tracking schedules with this module's table.
    from shipments.tracking import shipment_apply_result, status_changes_published_together

    now = now or timezone.now()
    report = BatchReport(carrier=carrier)
    claimed = Shipment.objects.filter(pk__in=list(shipment_ids), carrier=carrier)
    # A parcel that became final since the claim (a push) must not keep the claim's lease as a due time.
    claimed.filter(status__in=list(FINAL_STATUSES), next_poll_at__isnull=False).update(next_poll_at=None)
    shipments = list(claimed.exclude(status__in=list(FINAL_STATUSES)).values_list("id", "shop_id", "tracking_number"))
    try:
        adapter_class(carrier)
    except UnknownCarrier:
        # A carrier code without an adapter (removed or misspelt) is recorded on each parcel, not retried.
        unknown = TrackingError(ErrorKind.CARRIER_ERROR, f"no adapter is registered for carrier {carrier!r}")
        for shipment_id, _, _ in shipments:
            shipment_apply_result(shipment_id=shipment_id, outcome=unknown, source="poll", now=now)
            report.fetched += 1
        report.errors[ErrorKind.CARRIER_ERROR] = len(shipments)
        return report
    accounts = carrier_accounts_ensure(shop_ids={shop for _, shop, _ in shipments}, carrier=carrier)
    active = []
    for shipment_id, shop_id, number in shipments:
        account = accounts[shop_id]
        if not account.enabled or (account.paused_until and account.paused_until > now):
            resume = account.paused_until if account.enabled and account.paused_until else now + PERMANENT_CAP
            Shipment.objects.filter(pk=shipment_id).update(next_poll_at=resume + jittered(timedelta(minutes=5)))
            report.skipped += 1
        else:
            active.append((shipment_id, shop_id, number))
    if not active:
        return report

    own = CarrierAccount.objects.filter(pk=account_id).first() if account_id is not None else None
    config = carrier_config(carrier, own)
    adapter = build_adapter(carrier, config=config, client=client) if client else cached_adapter(carrier, config)
    by_number: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for shipment_id, shop_id, number in active:
        by_number[number].append((shipment_id, shop_id))
    numbers = list(by_number)
    size = max(1, adapter.batch_size)
    chunks = [numbers[start : start + size] for start in range(0, len(numbers), size)]
    limiter = rate_limiter()

    # The whole batch shares one time budget so a busy carrier cannot hold a task past its time limit.
    deadline = time.monotonic() + FETCH_BUDGET_SECONDS

    def fetch(chunk: list[str]) -> dict[str, Outcome]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not limiter.acquire(carrier, max_wait=min(30.0, remaining)):
            throttled = TrackingError(
                ErrorKind.RATE_LIMITED, f"{carrier}: no room under our own rate limit in this batch", retry_after=60.0
            )
            return dict.fromkeys(chunk, throttled)
        return adapter.fetch(chunk)

    workers = max(1, min(FETCH_CONCURRENCY, len(chunks)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"poll-{carrier}") as pool:
        answers = list(pool.map(fetch, chunks))
    # Applied after every fetch thread is done, on the task's own thread and DB connection: with the
    # fetch threads still running, each database round trip would wait for the GIL.
    health: dict[int, list[TrackingError | None]] = defaultdict(list)
    with status_changes_published_together():
        for outcomes in answers:
            for number, outcome in outcomes.items():
                for shipment_id, shop_id in by_number.get(number, ()):
                    applied = shipment_apply_result(shipment_id=shipment_id, outcome=outcome, source="poll", now=now)
                    report.fetched += 1
                    report.new_events += applied.new_events
                    report.changed += int(applied.status_changed)
                    if isinstance(outcome, TrackingError):
                        report.errors[outcome.kind] = report.errors.get(outcome.kind, 0) + 1
                        health[shop_id].append(outcome)
                    else:
                        health[shop_id].append(None)
    for shop_id, outcomes in health.items():
        carrier_account_record(account=accounts[shop_id], outcomes=outcomes, now=now)
    return report


def carrier_accounts_ensure(*, shop_ids: Iterable[int], carrier: str) -> dict[int, CarrierAccount]:
    """Each shop's account for ``carrier``, created empty (env credentials) when missing."""
    shop_ids = set(shop_ids)
    accounts = {a.shop_id: a for a in CarrierAccount.objects.filter(shop_id__in=shop_ids, carrier=carrier)}
    missing = shop_ids - set(accounts)
    if missing:
        CarrierAccount.objects.bulk_create(
            [CarrierAccount(shop_id=shop_id, carrier=carrier) for shop_id in missing], ignore_conflicts=True
        )
        accounts = {a.shop_id: a for a in CarrierAccount.objects.filter(shop_id__in=shop_ids, carrier=carrier)}
    return accounts


def carrier_account_record(*, account: CarrierAccount, outcomes: Sequence[TrackingError | None], now: datetime) -> None:
    """Update a shop's carrier health from one batch's outcomes; an auth error pauses the account."""
    successes = sum(1 for outcome in outcomes if outcome is None)
    errors = [outcome for outcome in outcomes if outcome is not None]
    changes: dict[str, object] = {
        "success_count": F("success_count") + successes,
        "error_count": F("error_count") + len(errors),
        "updated_at": now,
    }
    if successes:
        changes["last_success_at"] = now
    if errors:
        last = errors[-1]
        changes.update(last_error=last.message[:2000], last_error_kind=last.kind, last_error_at=now)
    auth = next((error for error in errors if error.kind == ErrorKind.AUTH), None)
    if auth is not None:
        paused_until = now + AUTH_PAUSE
        changes.update(paused_until=paused_until, last_auth_error=auth.message[:2000], last_auth_error_at=now)
        logger.warning(
            "carrier %s rejected shop %s's credentials; paused until %s", account.carrier, account.shop_id, paused_until
        )
        # Parcels of this shop and carrier wait for the pause instead of being claimed to be skipped.
        Shipment.objects.filter(
            Q(next_poll_at__lt=paused_until), shop_id=account.shop_id, carrier=account.carrier
        ).update(next_poll_at=paused_until)
    CarrierAccount.objects.filter(pk=account.pk).update(**changes)
