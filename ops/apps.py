"""Operations: health and readiness probes, the Prometheus endpoint and its scrape-time gauges, beat and
queue heartbeats, and ``manage.py doctor``. The top layer: it may read every app, none reads it."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"
