"""How this process talks to carriers: config and credentials, rate limits, HTTP client, adapters, health.

Config: the deployment's ``CARRIER_<CODE>_*`` settings (``settings.CARRIER_ENV``), with a shop's own
credentials from its ``CarrierAccount`` in place when it has any; the base URL is always the
deployment's.

Rate limits: one token bucket per carrier (``CARRIER_RATES``, requests per second; overridable with
``CARRIER_<CODE>_RATE``), in Redis when ``REDIS_URL`` is set so every worker shares it, in process
otherwise.

Per process: one pooled ``httpx.Client`` (recreated after fork) and one adapter per (carrier,
config), so OAuth and login tokens are reused between batches.

Health: each batch's outcomes are counted on the shop's ``CarrierAccount``; an auth error pauses the
account for ``AUTH_PAUSE`` and its parcels wait until then.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import httpx
from django.conf import settings
from django.db.models import F, Q

from carriers.base import CarrierAdapter
from carriers.registry import build_adapter, carrier_codes
from carriers.types import CarrierConfig, ErrorKind, TrackingError
from config import metrics
from shipments.models import CarrierAccount, Shipment
from shipments.schedule import AUTH_PAUSE

logger = logging.getLogger(__name__)

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

    def acquire(
        self, carrier: str, *, max_wait: float = 30.0, rate: float | None = None, burst: float | None = None
    ) -> bool:
        """Wait up to ``max_wait`` seconds for a token for ``carrier``; False when none came in time.

        ``rate`` (requests per second) replaces the carrier table for other quotas that share the
        buckets, e.g. a shop platform's per-account limit keyed ``baselinker:<connection>``; ``burst``
        (requests) replaces ``rate * burst_seconds`` for quotas counted per minute.
        """
        if rate is None:
            rate = carrier_rate(carrier)
        if rate is None:
            return True
        deadline = time.monotonic() + max_wait
        while True:
            wait = self._take(carrier, rate, burst)
            if wait <= 0:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            metrics.rate_limit_waited(carrier, min(wait, remaining))
            time.sleep(min(wait, remaining))

    def _take(self, carrier: str, rate: float, burst: float | None = None) -> float:
        burst = burst or max(1.0, rate * self.burst_seconds)
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
# Guards the process-wide limiter, HTTP client and adapter cache below.
_process_lock = threading.Lock()


def rate_limiter() -> RateLimiter:
    """The process-wide limiter (Redis-backed when REDIS_URL is set)."""
    global _limiter
    with _process_lock:
        if _limiter is None:
            _limiter = RateLimiter(redis_url=settings.REDIS_URL)
        return _limiter


_client: httpx.Client | None = None
_client_pid = 0


def http_client() -> httpx.Client:
    """One pooled client per process (recreated after fork); per-request timeouts come from the adapter."""
    global _client, _client_pid
    with _process_lock:
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
    with _process_lock:
        adapter = _adapters.get(key)
        if adapter is None or adapter.client is not client:
            if len(_adapters) >= _ADAPTER_CACHE_SIZE:
                _adapters.clear()
            adapter = _adapters[key] = build_adapter(carrier, config=config, client=client)
        return adapter


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
