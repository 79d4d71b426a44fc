"""A burst of emails, the Celery worker's whole process group SIGKILLed mid-burst, a new worker, the sweepers:
every message ends ``sent`` and the ESP accepted none twice.

Real PostgreSQL (the test database), a Redis server of this test's own (started on a free port, never
the machine's), a real ``celery worker`` (prefork, two children) running ``tests.notifications.worker_settings``
and anymail's Postmark backend against the project's fake ESP. At the kill moment one email is held by
the ESP *after* it accepted it (found by the Postmark search later) and one is lost on its way (the
search confirms it is absent, so it is sent again): both outcomes are unknown to us when the worker dies.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from notifications import outbox, reconcile, sending
from notifications.fake_esp import FakeEsp, Reply
from notifications.models import Message, MessageStatus, NotificationSettings, Reconciliation
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory
from tests.notifications.conftest import make_change

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BURST = 300
HELD_SECONDS = 60.0  # the two requests in flight at the kill stay unanswered this long
# Past this a claimed message's worker is presumed lost (production: 360 s); the new worker's sends take far less.
SENDING_TIMEOUT_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def fake_esp():
    with FakeEsp() as fake:
        yield fake


class WorkerGroup:
    """``celery worker -P prefork -c 2`` in a process group of its own, so the whole group can be killed."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.log_file = log_path.open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "2", "-Q", "emails"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", "-n", "pf-burst@%h"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker never became ready:\n{self.log_path.read_text()[-4000:]}")
            time.sleep(0.1)

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if not self.log_file.closed:
            self.log_file.close()


@pytest.fixture
def start_worker(own_redis, fake_esp, tmp_path):
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "DATABASE_URL": f"{database_url}/{db['NAME']}",
        "CELERY_BROKER_URL": own_redis,
        "PF_TEST_BROKER_PREFIX": "pf-burst:",
        "FAKE_ESP_URL": fake_esp.url,
        "FAKE_ESP_READ_TIMEOUT": str(HELD_SECONDS * 2),
        "PYTHONPATH": str(ROOT),
    }
    started: list[WorkerGroup] = []

    def start(name: str) -> WorkerGroup:
        worker = WorkerGroup(tmp_path / f"{name}.log", env)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def producer(own_redis):
    redis.Redis.from_url(own_redis).flushdb()
    app = Celery("burst-tests", broker=own_redis, broker_transport_options={"global_keyprefix": "pf-burst:"})
    yield app
    app.close()


def publish(producer, message_ids, *, batch: int = 1) -> None:
    """One ``send_message`` task per message, or ``send_messages`` tasks of ``batch`` messages (as poll batches do)."""
    with producer.producer_or_acquire() as shared:
        if batch == 1:
            for message_id in message_ids:
                producer.send_task("notifications.send_message", args=[message_id], queue="emails", producer=shared)
            return
        for first in range(0, len(message_ids), batch):
            ids = message_ids[first : first + batch]
            producer.send_task("notifications.send_messages", args=[ids], queue="emails", producer=shared)


def queued_burst(count: int) -> list[int]:
    shop = ShopFactory()
    NotificationSettings.objects.create(shop=shop, settle_seconds=0, daily_cap_per_shipment=10)
    ids = []
    for number in range(count):
        order = OrderFactory(shop=shop, customer_email=f"customer{number}@example.com")
        change = make_change(ShipmentFactory(order=order), to_status="out_for_delivery", occurred_at=timezone.now())
        ids += outbox.status_change_process(status_change_id=change.pk)
    return ids


def sweep_until_settled(producer, message_ids: list[int], timeout: float = 240.0) -> None:
    """Run the sweepers as beat would (recover stuck claims, reconcile, release due) until every message is final."""
    deadline = time.monotonic() + timeout
    while Message.objects.filter(pk__in=message_ids).exclude(status=MessageStatus.SENT).exists():
        if time.monotonic() > deadline:
            left = Message.objects.filter(pk__in=message_ids).exclude(status=MessageStatus.SENT)
            raise AssertionError(f"not settled: {list(left.values_list('pk', 'status', 'reason')[:10])}")
        sending.messages_recover_stuck()
        reconcile.messages_reconcile()
        # Past the release lease: the tasks the killed worker had taken are gone with it.
        publish(producer, outbox.messages_release_due(now=timezone.now() + timedelta(minutes=3)))
        time.sleep(1.0)


@pytest.mark.parametrize(
    ("kill_after", "batch"), [(3, 1), (150, 50), (290, 50)], ids=["early", "middle-batched", "late-batched"]
)
def test_burst_with_the_worker_group_killed_ends_all_sent_none_twice(
    fake_esp, start_worker, producer, kill_after, batch
):
    # given: a burst of emails; the requests in flight at the kill are held, one accepted and one lost
    fake_esp.reset(
        [Reply(200)] * (kill_after - 2) + [Reply(200, delay=HELD_SECONDS), Reply(200, delay=HELD_SECONDS, lost=True)]
    )
    message_ids = queued_burst(BURST)
    first = start_worker("first")
    with override_settings(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL={"POSTMARK_SERVER_TOKEN": "test-token", "POSTMARK_API_URL": fake_esp.url, "REQUESTS_TIMEOUT": (2, 5)},
        NOTIFICATIONS_SENDING_TIMEOUT_SECONDS=SENDING_TIMEOUT_SECONDS,
        NOTIFICATIONS_RECONCILE_LOOKUP_AFTER_SECONDS=0,
    ):
        publish(producer, message_ids, batch=batch)
        assert fake_esp.wait_for_requests(kill_after, timeout=180)

        # when: the worker's whole process group dies, a new worker starts and the sweepers run
        first.kill_group()
        start_worker("second")
        sweep_until_settled(producer, message_ids)

    # then: every message was sent, and the ESP accepted each exactly once
    statuses = Counter(Message.objects.filter(pk__in=message_ids).values_list("status", flat=True))
    assert statuses == {MessageStatus.SENT: BURST}
    accepted = Counter(int(email["Metadata"]["message_id"]) for email in fake_esp.accepted)
    assert sorted(accepted) == sorted(message_ids)
    assert set(accepted.values()) == {1}
    # and: the held-but-accepted email was found at the ESP, the lost one confirmed absent and resent
    decisions = Counter(Message.objects.filter(pk__in=message_ids).values_list("reconciliation", flat=True))
    assert decisions[Reconciliation.FOUND] >= 1
    assert decisions[Reconciliation.ABSENT_RESENT] >= 1
    found = Message.objects.filter(pk__in=message_ids, reconciliation=Reconciliation.FOUND)
    esp_ids = {email["MessageID"] for email in fake_esp.accepted}
    assert all(message.esp_message_id in esp_ids for message in found)
