"""The one metrics module: every counter and histogram Parcelfront exports, and the small functions that record them.

Apps call these at their seams (one line each) and never touch ``prometheus_client`` themselves. Metric
names start with ``parcelfront_``; labels stay low in cardinality (views, carriers, statuses — never shops,
parcels or addresses).

Multiprocess: when ``PROMETHEUS_MULTIPROC_DIR`` is set in the environment of every gunicorn and Celery
process (the folder must exist, be shared by them and be emptied only when all of them are stopped),
each process writes its samples to files there and ``/metrics`` adds them up (``ops.exposition``). Only
counters and histograms live here, which add up correctly across processes; the gauges (queue depths,
backlogs, lag) are read from the database and the broker when Prometheus scrapes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import Counter, Histogram

# Web requests: seconds to the first byte of the response (buckets for pages, API calls and probes).
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# One carrier API call (a batch of numbers): from a fast JSON answer to a slow SOAP one at its timeout.
CARRIER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)

http_requests = Counter(
    "parcelfront_http_requests", "HTTP requests answered, by Django view name and status code", ["view", "status"]
)
http_request_seconds = Histogram(
    "parcelfront_http_request_duration_seconds", "Time to answer an HTTP request", ["view"], buckets=REQUEST_BUCKETS
)
carrier_polls = Counter(
    "parcelfront_carrier_polls",
    "Tracking numbers asked of a carrier, by outcome (ok or the error kind: auth, transient, rate_limited, ...)",
    ["carrier", "outcome"],
)
carrier_request_seconds = Histogram(
    "parcelfront_carrier_request_duration_seconds",
    "One carrier API call (a chunk of tracking numbers) from request to parsed answer",
    ["carrier"],
    buckets=CARRIER_BUCKETS,
)
rate_limit_waits = Counter(
    "parcelfront_rate_limit_waits", "Times a carrier call waited for our own rate limiter", ["carrier"]
)
rate_limit_wait_seconds = Counter(
    "parcelfront_rate_limit_wait_seconds", "Seconds carrier calls spent waiting for our own rate limiter", ["carrier"]
)
status_changes = Counter(
    "parcelfront_status_changes",
    "Status changes applied to parcels (outbox rows written), by carrier, new status and source",
    ["carrier", "to_status", "source"],
)
messages = Counter(
    "parcelfront_messages", "Send attempts of customer messages, by channel and resulting status", ["channel", "status"]
)
webhook_deliveries = Counter(
    "parcelfront_webhook_deliveries",
    "Outgoing webhook delivery attempts, by outcome (succeeded, retrying, failed = gave up)",
    ["outcome"],
)
webhook_delivery_seconds = Histogram(
    "parcelfront_webhook_delivery_duration_seconds", "One outgoing webhook POST", buckets=REQUEST_BUCKETS
)


def request_observed(*, view: str, status: int, seconds: float) -> None:
    """One answered web request (``ops.middleware``)."""
    http_requests.labels(view=view, status=str(status)).inc()
    http_request_seconds.labels(view=view).observe(seconds)


def carrier_fetch_observed[T](
    carrier: str, fetch: Callable[[Sequence[str]], Mapping[str, T]], numbers: Sequence[str]
) -> Mapping[str, T]:
    """Call ``fetch(numbers)`` (a carrier adapter's), timing it and counting each number's outcome.

    An outcome with a ``kind`` is a carrier error (``carriers.types.TrackingError``), labelled by that kind.
    """
    started = time.monotonic()
    outcomes = fetch(numbers)
    carrier_request_seconds.labels(carrier=carrier).observe(time.monotonic() - started)
    return carrier_outcomes_counted(carrier, outcomes)


def carrier_outcomes_counted[T](carrier: str, outcomes: Mapping[str, T]) -> Mapping[str, T]:
    """Count each number's outcome (also those our own rate limit refused before any call) and pass them on."""
    for outcome in outcomes.values():
        kind = getattr(outcome, "kind", None)
        carrier_polls.labels(carrier=carrier, outcome=str(kind) if kind is not None else "ok").inc()
    return outcomes


def rate_limit_waited(carrier: str, seconds: float) -> None:
    """A carrier call is about to sleep ``seconds`` for a rate-limit token."""
    rate_limit_waits.labels(carrier=carrier).inc()
    rate_limit_wait_seconds.labels(carrier=carrier).inc(seconds)


def status_change_applied(*, carrier: str, source: str, report: Any) -> None:
    """Count the status change an apply wrote (``shipments.tracking.ApplyReport``); an apply without one counts nothing."""
    if report.status_changed:
        status_changes.labels(carrier=carrier, to_status=report.to_status, source=source).inc()


def message_send_observed(*, channel: str, status: str) -> None:
    """One send attempt of a message on ``channel`` ended in ``status``."""
    messages.labels(channel=channel, status=status).inc()


def message_sends_counted[**P, R](*, channel: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a channel's send service (which returns an outcome with a ``status``) to count each result."""

    def decorate(send: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(send)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            outcome = send(*args, **kwargs)
            message_send_observed(channel=channel, status=str(getattr(outcome, "status", "unknown")))
            return outcome

        return counted

    return decorate


def webhook_delivery_observed(*, delivery_status: str, seconds: float) -> None:
    """One webhook POST was recorded; ``delivery_status`` is the delivery's status afterwards."""
    outcome = "retrying" if delivery_status == "pending" else delivery_status
    webhook_deliveries.labels(outcome=outcome).inc()
    webhook_delivery_seconds.observe(seconds)
