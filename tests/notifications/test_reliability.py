"""Exactly-once sending with real PostgreSQL, Redis and a real ``celery worker`` (prefork, one child).

The worker runs ``tests.notifications.worker_settings``: the same test database, a Redis broker on a
database number of its own, and anymail's Postmark backend pointed at a loopback fake ESP that counts
the emails it accepted.
"""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications import outbox, sending
from notifications.fake_esp import FakeEsp, Reply
from notifications.models import Message, MessageStatus
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory
from tests.notifications.conftest import make_change

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 13
# Keys of this test process only (xdist workers or parallel runs share the Redis database).
BROKER_PREFIX = f"pf-notifications-{os.getpid()}:"


def broker_url() -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{BROKER_DB}", parts.query, ""))


class Worker:
    """A ``celery worker -P prefork -c 1`` subprocess with its log."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.log_file = log_path.open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "1", "-Q", "emails"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", "-n", "pf-test@%h"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for_log(self, pattern: str, count: int = 1, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.log())) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker log never showed {pattern!r} x{count}:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def child_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


@pytest.fixture(scope="module")
def fake_esp():
    with FakeEsp() as fake:
        yield fake


@pytest.fixture(scope="module")
def worker(django_db_setup, fake_esp, tmp_path_factory):
    client = redis.Redis.from_url(broker_url())
    for key in client.scan_iter(f"{BROKER_PREFIX}*"):
        client.delete(key)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "DATABASE_URL": f"{database_url}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url(),
        "PF_TEST_BROKER_PREFIX": BROKER_PREFIX,
        "FAKE_ESP_URL": fake_esp.url,
        "FAKE_ESP_READ_TIMEOUT": "3",
        "PYTHONPATH": str(ROOT),
    }
    started = Worker(tmp_path_factory.mktemp("worker") / "worker.log", env)
    try:
        started.wait_for_log(r"pf-test@\S+ ready\.")
        yield started
    finally:
        started.stop()


@pytest.fixture
def producer():
    app = Celery("reliability-tests", broker=broker_url(), broker_transport_options={"global_keyprefix": BROKER_PREFIX})
    yield app
    app.close()


@pytest.fixture
def esp(fake_esp, worker):
    fake_esp.reset()
    return fake_esp


def send(producer, message_id):
    producer.send_task("notifications.send_message", args=[message_id], queue="emails")


def queued_message():
    shop = ShopFactory()
    shipment = ShipmentFactory(order=OrderFactory(shop=shop, customer_email="anna@example.com"))
    change = make_change(shipment, to_status="out_for_delivery", occurred_at=timezone.now())
    (message_id,) = outbox.status_change_process(status_change_id=change.pk)
    return Message.objects.get(pk=message_id)


def wait_for_status(message, status, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == status:
            return message
        time.sleep(0.1)
    raise AssertionError(f"message {message.pk} stayed {message.status}: {message.reason}")


def finished(result):
    """The worker's log line of a send_message task that returned ``result``."""
    return rf"succeeded in [0-9.]+s: '{result}'"


def finished_count(worker, result):
    return len(re.findall(finished(result), worker.log()))


def test_worker_child_killed_mid_send_leads_to_exactly_one_email(esp, worker, producer):
    # given: the ESP takes the email and holds the answer long enough to kill the worker's child
    esp.reset([Reply(200, delay=10)])
    message = queued_message()
    before, unknown_before = finished_count(worker, "sending"), finished_count(worker, "unknown")
    # when
    send(producer, message.pk)
    assert esp.wait_for_requests(1)
    os.kill(worker.child_pid(), signal.SIGKILL)
    # then: the task is redelivered to a new child, which finds the message claimed and sends nothing
    worker.wait_for_log(finished("sending"), count=before + 1)
    assert len(esp.requests) == 1
    assert len(esp.accepted) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    assert message.handed_to_esp_at is not None
    # and: recovery after the timeout records the unknown outcome and never resends
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sending, "sending_timeout", lambda: timedelta(seconds=0))
        assert sending.messages_recover_stuck() == {"requeued": 0, "unknown": 1}
    send(producer, message.pk)
    worker.wait_for_log(finished("unknown"), count=unknown_before + 1)
    assert len(esp.requests) == 1


def test_task_run_twice_sends_one_email(esp, worker, producer):
    # given
    message = queued_message()
    before = finished_count(worker, "(?:sent|sending)")
    # when
    send(producer, message.pk)
    send(producer, message.pk)
    # then
    worker.wait_for_log(finished("(?:sent|sending)"), count=before + 2)
    wait_for_status(message, MessageStatus.SENT)
    assert len(esp.accepted) == 1
    assert len(esp.requests) == 1


def test_rolled_back_transaction_sends_nothing(esp, worker, producer):
    # given
    shop = ShopFactory()
    shipment = ShipmentFactory(order=OrderFactory(shop=shop, customer_email="anna@example.com"))
    task = producer.signature("notifications.process_status_change", options={"queue": "emails"})
    # when: the status change and its publish are rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        change = make_change(shipment, to_status="out_for_delivery", occurred_at=timezone.now())
        transaction.on_commit(lambda: task.apply_async(args=(change.pk,)))
        raise RuntimeError("rolled back")
    # then: nothing was published; a committed change afterwards is the only email
    assert redis.Redis.from_url(broker_url()).llen(f"{BROKER_PREFIX}emails") == 0
    committed = make_change(shipment, to_status="available_for_pickup", occurred_at=timezone.now())
    transaction.on_commit(lambda: None)
    task.apply_async(args=(committed.pk,))
    message = wait_for_status(
        Message.objects.filter(status_change=committed).first() or _wait_message(committed), "sent"
    )
    assert len(esp.accepted) == 1
    assert Message.objects.count() == 1
    assert message.to_status == "available_for_pickup"


def _wait_message(change, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = Message.objects.filter(status_change=change).first()
        if message is not None:
            return message
        time.sleep(0.1)
    raise AssertionError(f"no message for status change {change.pk}")


def test_esp_503_three_times_then_200_sends_one_email(esp, worker, producer):
    # given
    esp.reset([Reply(503), Reply(503), Reply(503), Reply(200)])
    message = queued_message()
    # when
    send(producer, message.pk)
    # then
    message = wait_for_status(message, MessageStatus.SENT)
    assert message.attempts == 4
    assert len(esp.requests) == 4
    assert len(esp.accepted) == 1


def test_esp_400_fails_with_the_reason_and_is_not_retried(esp, worker, producer):
    # given
    esp.reset([Reply(400)])
    message = queued_message()
    # when
    send(producer, message.pk)
    # then
    message = wait_for_status(message, MessageStatus.FAILED)
    assert message.reason.startswith("ESP refused the email (HTTP 400): ")
    assert message.attempts == 1
    assert len(esp.requests) == 1
    assert esp.accepted == []


def test_slow_esp_past_the_timeout_gives_one_email_and_no_duplicate(esp, worker, producer):
    # given: accepted at once, answered after the worker's 3 s read timeout
    esp.reset([Reply(200, delay=5)])
    message = queued_message()
    before = finished_count(worker, "unknown")
    # when
    send(producer, message.pk)
    message = wait_for_status(message, MessageStatus.UNKNOWN)
    send(producer, message.pk)
    worker.wait_for_log(finished("unknown"), count=before + 2)
    # then
    assert message.reason.startswith("Outcome unknown: No answer from the ESP")
    assert len(esp.requests) == 1
    assert len(esp.accepted) == 1
