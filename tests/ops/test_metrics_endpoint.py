"""/metrics: token-protected, counters of every process added up, backlog gauges read at scrape time."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import Message
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory

ROOT = Path(__file__).resolve().parents[2]


def scrape(client, token="s3cret-metrics-token"):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="10.0.0.9")


@pytest.fixture
def protected(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    settings.METRICS_ALLOW_UNAUTHENTICATED = False
    settings.PROMETHEUS_MULTIPROC_DIR = ""


def test_metrics_needs_the_token(client, db, protected):
    assert client.get("/metrics").status_code == 404
    assert scrape(client, token="wrong").status_code == 404
    assert scrape(client).status_code == 200


def test_without_a_token_metrics_answer_only_when_the_bind_is_declared_internal(client, db, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_UNAUTHENTICATED = False
    assert client.get("/metrics").status_code == 404
    settings.METRICS_ALLOW_UNAUTHENTICATED = True
    assert client.get("/metrics").status_code == 200
    # a request the TLS proxy forwarded is the public internet, never the internal scraper
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404
    assert client.get("/metrics", HTTP_FORWARDED="for=198.51.100.7").status_code == 404


def test_requests_are_counted_by_view_and_status(client, db, protected):
    client.get("/healthz")  # probes are answered before counting: no series of their own
    client.get("/no-such-page-anywhere")
    body = scrape(client).content.decode()
    assert 'parcelfront_http_requests_total{status="404",view="<unresolved>"}' in body
    assert "healthz" not in body.split("parcelfront_http_requests_total")[-1].split("\n# ")[0]


def test_backlog_gauges_show_queues_unprocessed_changes_and_the_oldest_due_parcel(client, shop, protected):
    # given one unprocessed status change, a parcel whose poll is ten minutes overdue, two queued emails
    # (one due, one waiting for the morning: quiet hours) and one due SMS
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=timezone.now() - timedelta(minutes=10))
    change = StatusChangeFactory(shipment=shipment, from_status="pending", to_status="in_transit")
    for campaign_key, send_after in ((0, timezone.now()), (1, timezone.now() + timedelta(hours=8))):
        Message.objects.create(
            shop=shop, trigger_kind="status_change", trigger_id=change.pk, status_change=change, order=shipment.order,
            shipment=shipment, campaign_key=campaign_key, to_email="anna@example.com", language="pl",
            send_after=send_after,
        )  # fmt: skip
    Message.objects.create(
        shop=shop, trigger_kind="status_change", trigger_id=change.pk, status_change=change, order=shipment.order,
        shipment=shipment, channel="sms", to_phone="+48600100200", language="pl", send_after=timezone.now(),
    )  # fmt: skip
    # when Prometheus scrapes
    body = scrape(client).content.decode()
    # then
    assert "parcelfront_outbox_status_changes_unprocessed 1.0" in body
    assert 'parcelfront_celery_queue_depth{queue="carriers"}' in body
    assert 'parcelfront_outbox_messages_queued{channel="email",due="true"} 1.0' in body
    assert 'parcelfront_outbox_messages_queued{channel="email",due="false"} 1.0' in body
    assert 'parcelfront_outbox_messages_queued{channel="sms",due="true"} 1.0' in body
    assert 'parcelfront_outbox_messages_queued{channel="sms",due="false"} 0.0' in body
    lag = next(line for line in body.splitlines() if line.startswith("parcelfront_oldest_due_parcel_lag_seconds "))
    assert 600 <= float(lag.split()[1]) < 3600


def test_a_database_error_leaves_its_gauges_out_but_the_counters_in(client, db, protected, monkeypatch):
    from ops import selectors

    def broken():
        raise ConnectionError("database gone")

    monkeypatch.setattr(selectors, "status_changes_unprocessed_count", broken)
    response = scrape(client)
    assert response.status_code == 200
    body = response.content.decode()
    assert "parcelfront_outbox_status_changes_unprocessed" not in body
    assert "parcelfront_oldest_due_parcel_lag_seconds" in body
    assert "parcelfront_carrier_polls_total" in body or "parcelfront_http_requests_total" in body


def test_the_multiprocess_folder_adds_up_every_process(client, db, settings, tmp_path):
    # given two worker processes that each counted a poll into a shared folder
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    code = (
        "import django; django.setup(); from config import metrics; "
        "metrics.carrier_outcomes_counted('gls', {'1': object(), '2': object()})"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)
    # when this (third) process serves the scrape
    body = scrape(client).content.decode()
    # then the samples of both are summed
    assert 'parcelfront_carrier_polls_total{carrier="gls",outcome="ok"} 4.0' in body
