"""Exactly-once SMS with a real ``celery worker`` whose child is killed mid-send, against a fake gateway on loopback.

Twilio offers no idempotency key: the SMS whose worker died during the call is recorded as "outcome
unknown" and never resent. SMSAPI's ``idx`` + ``check_idx`` make a resend harmless: the SMS is sent again
after recovery and the gateway sends nothing new.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone

from notifications import outbox
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.sms import sending
from notifications.sms.fake_gateway import FakeSmsGateway, Reply
from notifications.sms.models import SmsSettings
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory
from tests.notifications.conftest import make_change
from tests.notifications.test_reliability import BROKER_PREFIX, ROOT, Worker, broker_url, finished, finished_count
from tests.notifications.test_reliability import producer as producer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", params=["twilio", "smsapi"])
def gateway_worker(request, django_db_setup, tmp_path_factory):
    client = redis.Redis.from_url(broker_url())
    for key in client.scan_iter(f"{BROKER_PREFIX}*"):
        client.delete(key)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    with FakeSmsGateway() as gateway:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "DATABASE_URL": f"{database_url}/{db['NAME']}",
            "CELERY_BROKER_URL": broker_url(),
            "PF_TEST_BROKER_PREFIX": BROKER_PREFIX,
            "FAKE_ESP_URL": "http://127.0.0.1:9/",
            "FAKE_SMS_BACKEND": request.param,
            "FAKE_SMS_URL": gateway.url,
            "FAKE_ESP_READ_TIMEOUT": "3",
            "PYTHONPATH": str(ROOT),
        }
        worker = Worker(tmp_path_factory.mktemp(f"sms-worker-{request.param}") / "worker.log", env)
        try:
            worker.wait_for_log(r"pf-test@\S+ ready\.")
            yield request.param, gateway, worker
        finally:
            worker.stop()


def queued_sms():
    shop = ShopFactory()
    SmsSettings.objects.create(shop=shop, enabled=True, sender_name="MyShop", window_start="00:00", window_end="23:59")
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), status="out_for_delivery")
    change = make_change(shipment, to_status="out_for_delivery", occurred_at=timezone.now())
    outbox.status_change_process(status_change_id=change.pk)
    return Message.objects.get(status_change=change, channel=MessageChannel.SMS)


def test_worker_child_killed_mid_send_leads_to_exactly_one_sms(gateway_worker, producer, settings):
    provider, gateway, worker = gateway_worker
    # given: the gateway takes the SMS and holds the answer long enough to kill the worker's child
    gateway.script.clear()
    gateway.script.append(Reply(200, delay=10))
    accepted_before, requests_before = len(gateway.accepted), len(gateway.requests)
    message = queued_sms()
    before = finished_count(worker, "sending")
    # when
    producer.send_task("notifications.send_message", args=[message.pk], queue="emails")
    deadline = time.monotonic() + 60
    while len(gateway.requests) == requests_before and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(worker.child_pid(), signal.SIGKILL)
    # then: the redelivered task finds the SMS claimed and sends nothing
    worker.wait_for_log(finished("sending"), count=before + 1)
    message.refresh_from_db()
    assert (message.status, message.handed_to_esp_at is not None) == (MessageStatus.SENDING, True)
    # and: recovery decides by the gateway (this process configured like the worker)
    settings.SMS_BACKEND = provider
    settings.SMS_SMSAPI_BASE_URL = settings.SMS_TWILIO_BASE_URL = gateway.url
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sending, "sending_timeout", lambda: timedelta(seconds=0))
        counts = sending.sms_messages_recover_stuck()
    expected = MessageStatus.UNKNOWN if provider == "twilio" else MessageStatus.SENT
    done_before = finished_count(worker, expected)
    producer.send_task("notifications.send_message", args=[message.pk], queue="emails")
    worker.wait_for_log(finished(expected), count=done_before + 1)
    message.refresh_from_db()
    assert message.status == expected
    assert len(gateway.accepted) == accepted_before + 1
    if provider == "twilio":
        assert counts == {"requeued": 0, "unknown": 1}
        assert len(gateway.requests) == requests_before + 1
        assert message.reason.startswith("Outcome unknown: the worker was lost during the gateway call")
    else:
        assert counts == {"requeued": 1, "unknown": 0}
        assert len(gateway.requests) == requests_before + 2  # the resend met check_idx: nothing new was sent
