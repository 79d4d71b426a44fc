"""What ``/metrics`` serves: every process's counters (added up from ``PROMETHEUS_MULTIPROC_DIR`` when set)
and gauges read at scrape time from the broker and the database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ops import selectors

logger = logging.getLogger(__name__)


class BacklogCollector(Collector):
    """Queue depths, outbox backlog and polling lag, read when Prometheus scrapes (one process answers).

    A gauge whose source does not answer is left out (and logged) so the counters still reach Prometheus.
    """

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        for build in (self._queues, self._status_changes, self._messages, self._lag):
            try:
                yield build(now)
            except Exception:
                logger.warning("metrics: %s left out of this scrape", build.__name__.strip("_"), exc_info=True)

    def _queues(self, now: datetime) -> Metric:
        gauge = GaugeMetricFamily(
            "parcelfront_celery_queue_depth", "Tasks waiting in a Celery queue for a worker", labels=["queue"]
        )
        for queue, depth in selectors.celery_queue_depths(timeout=settings.READYZ_TIMEOUT_SECONDS).items():
            gauge.add_metric([queue], depth)
        return gauge

    def _status_changes(self, now: datetime) -> Metric:
        return GaugeMetricFamily(
            "parcelfront_outbox_status_changes_unprocessed",
            "Status changes no consumer has processed yet (the outbox backlog)",
            value=selectors.status_changes_unprocessed_count(),
        )

    def _messages(self, now: datetime) -> Metric:
        gauge = GaugeMetricFamily(
            "parcelfront_outbox_messages_queued",
            "Messages queued and not sent yet, by channel; due = their moment has come (not waiting for quiet hours)",
            labels=["channel", "due"],
        )
        for (channel, due), count in sorted(selectors.messages_queued_by_channel(now=now).items()):
            gauge.add_metric([channel, "true" if due else "false"], count)
        return gauge

    def _lag(self, now: datetime) -> Metric:
        return GaugeMetricFamily(
            "parcelfront_oldest_due_parcel_lag_seconds",
            "How overdue the most overdue carrier poll is (0 when none is due)",
            value=selectors.oldest_due_parcel_lag_seconds(now=now),
        )


def metrics_exposition() -> tuple[bytes, str]:
    """The Prometheus text of all processes' metrics plus the scrape-time gauges, and its content type."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
        registry.register(BacklogCollector())
        return generate_latest(registry), CONTENT_TYPE_LATEST
    # One process (development): its own default registry, plus the gauges for this scrape only.
    scrape = CollectorRegistry()
    scrape.register(BacklogCollector())
    return generate_latest(REGISTRY) + generate_latest(scrape), CONTENT_TYPE_LATEST
