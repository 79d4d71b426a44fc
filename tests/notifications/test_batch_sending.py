"""Sending in batches: a fixed number of queries per batch, each message's fate its own, interruptions sorted out."""

import threading
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from notifications import content, outbox, prefetch, sending
from notifications.fake_esp import FakeEsp, Reply
from notifications.models import Message, MessageStatus
from notifications.tasks import process_status_changes, send_messages
from tests.factories import OrderFactory, ShipmentFactory
from tests.notifications.conftest import make_change
from tests.notifications.test_sending import postmark_at


def queued_emails(shop, count: int, *, first: int = 0) -> list[int]:
    """``count`` parcels of ``shop`` with an 'out for delivery' email each, queued and due."""
    ids = []
    for number in range(first, first + count):
        order = OrderFactory(shop=shop, customer_email=f"customer{number}@example.com", locale="pl")
        change = make_change(ShipmentFactory(order=order, status="out_for_delivery"))
        ids += outbox.status_change_process(status_change_id=change.pk)
    return ids


def statuses(ids: list[int]) -> dict[int, str]:
    return dict(Message.objects.filter(pk__in=ids).values_list("pk", "status"))


def test_a_batch_costs_the_same_queries_whatever_its_size(clock, shop, settings_row):
    # given: a batch of two and a batch of eight, after a first batch warmed the shop's cached best sellers
    warm, small, large = queued_emails(shop, 1), queued_emails(shop, 2, first=1), queued_emails(shop, 8, first=3)
    sending.messages_send(message_ids=warm)
    # when
    with CaptureQueriesContext(connection) as two:
        sending.messages_send(message_ids=small)
    with CaptureQueriesContext(connection) as eight:
        sending.messages_send(message_ids=large)
    # then: every message sent, and the larger batch needed not one query more
    assert set(statuses(small + large).values()) == {MessageStatus.SENT}
    assert len(mail.outbox) == 11
    assert len(eight.captured_queries) == len(two.captured_queries)


def test_the_batch_stores_what_was_sent_as_a_single_send_does(clock, shop, settings_row):
    # given
    ids = queued_emails(shop, 3)
    # when
    outcomes = sending.messages_send(message_ids=ids)
    # then: each message carries its own rendered email and the ESP's answer
    assert {outcome.status for outcome in outcomes.values()} == {MessageStatus.SENT}
    for message in Message.objects.filter(pk__in=ids):
        assert message.attempts == 1
        assert message.sent_at is not None and message.handed_to_esp_at is not None
        assert message.esp_name == "Test"
        assert message.esp_message_id
        assert message.order.number in message.subject and message.order.number in message.text_body
        assert message.order.number in message.html_body
    sent_to = sorted(email.to[0] for email in mail.outbox)
    assert sent_to == sorted(Message.objects.filter(pk__in=ids).values_list("to_email", flat=True))


def test_one_message_that_cannot_be_rendered_waits_alone(clock, shop, settings_row, monkeypatch):
    # given: the middle message's rendering fails
    ids = queued_emails(shop, 3)
    real = content.message_content

    def flaky(message, lookups=None):
        if message.pk == ids[1]:
            raise RuntimeError("template exploded")
        return real(message, lookups)

    monkeypatch.setattr(sending, "message_content", flaky)
    # when
    outcomes = sending.messages_send(message_ids=ids)
    # then: the others went, the broken one is queued for a retry and was never handed over
    assert statuses(ids) == {ids[0]: MessageStatus.SENT, ids[1]: MessageStatus.QUEUED, ids[2]: MessageStatus.SENT}
    assert outcomes[ids[1]].retry_in is not None
    broken = Message.objects.get(pk=ids[1])
    assert broken.handed_to_esp_at is None
    assert "template exploded" in broken.reason
    assert len(mail.outbox) == 2


def test_a_chunk_whose_rendering_data_cannot_be_read_waits_whole_and_sends_nothing(
    clock, shop, settings_row, monkeypatch
):
    # given: the chunk's shared reads fail (the database hiccups after the claim)
    ids = queued_emails(shop, 3)

    def unreadable(cls, messages):
        raise RuntimeError("connection reset")

    monkeypatch.setattr(prefetch.RenderLookups, "load", classmethod(unreadable))
    # when
    outcomes = sending.messages_send(message_ids=ids)
    # then: every claimed message is queued again with the reason, never handed over, nothing sent
    assert {outcome.status for outcome in outcomes.values()} == {MessageStatus.QUEUED}
    assert all(outcome.retry_in is not None for outcome in outcomes.values())
    for message in Message.objects.filter(pk__in=ids):
        assert message.status == MessageStatus.QUEUED
        assert message.handed_to_esp_at is None
        assert "connection reset" in message.reason
    assert mail.outbox == []


def test_the_esp_refusing_one_email_fails_only_that_one(clock, shop, settings_row):
    # given: Postmark (the fake) refuses the second customer's email with 422 and accepts the others
    ids = queued_emails(shop, 3)
    with FakeEsp([Reply(422, to="customer1@example.com")]) as fake, postmark_at(fake):
        # when
        outcomes = sending.messages_send(message_ids=ids)
    # then: one call per email; only the refused one failed
    assert sorted(int(email["Metadata"]["message_id"]) for email in fake.requests) == ids
    assert statuses(ids) == {ids[0]: MessageStatus.SENT, ids[1]: MessageStatus.FAILED, ids[2]: MessageStatus.SENT}
    assert outcomes[ids[1]].status == MessageStatus.FAILED
    assert "HTTP 422" in Message.objects.get(pk=ids[1]).reason
    accepted = {email["MessageID"] for email in fake.accepted}
    assert {Message.objects.get(pk=ids[0]).esp_message_id, Message.objects.get(pk=ids[2]).esp_message_id} == accepted


def test_a_batch_stopped_by_its_time_limit_keeps_sent_sent_and_requeues_the_untried(
    clock, shop, settings_row, monkeypatch
):
    # given: chunks of two; the second email's call is slow, and the second chunk is claimed once it is in flight
    ids = queued_emails(shop, 4)
    monkeypatch.setattr(sending, "CLAIM_CHUNK", 2)
    with FakeEsp([Reply(200, delay=3.0, to="customer1@example.com")]) as fake, postmark_at(fake):
        real_claimed, real_outcome = sending._claimed, sending._esp_outcome

        def claimed_once_in_flight(message_ids, **kwargs):
            if message_ids == ids[2:]:
                assert fake.wait_for_requests(2, timeout=10)  # the courier has both calls of the first chunk
            return real_claimed(message_ids, **kwargs)

        def stopped_on_second(item, answer, *, now):
            if item.message.pk == ids[1]:
                raise SoftTimeLimitExceeded()  # the task's soft time limit, while that call is unanswered
            return real_outcome(item, answer, now=now)

        monkeypatch.setattr(sending, "_claimed", claimed_once_in_flight)
        monkeypatch.setattr(sending, "_esp_outcome", stopped_on_second)
        # when
        with pytest.raises(SoftTimeLimitExceeded):
            sending.messages_send(message_ids=ids)
    # then: the first is recorded as sent, the one in flight is unknown (reconciliation asks the ESP),
    # and those whose call never started are queued again with their attempt given back
    assert statuses(ids) == {
        ids[0]: MessageStatus.SENT,
        ids[1]: MessageStatus.UNKNOWN,
        ids[2]: MessageStatus.QUEUED,
        ids[3]: MessageStatus.QUEUED,
    }
    for message in Message.objects.filter(pk__in=ids[2:]):
        assert message.handed_to_esp_at is None
        assert message.attempts == 0
    assert sorted(int(email["Metadata"]["message_id"]) for email in fake.requests) == ids[:2]


def calls_by_thread(monkeypatch) -> list[tuple[str, str]]:
    """(thread name, recipient) of every call anymail's Postmark backend makes from now on."""
    from anymail.backends.postmark import EmailBackend

    calls: list[tuple[str, str]] = []
    real = EmailBackend.send_messages

    def recorded(self, email_messages):
        calls.extend((threading.current_thread().name, email.to[0]) for email in email_messages)
        return real(self, email_messages)

    monkeypatch.setattr(EmailBackend, "send_messages", recorded)
    return calls


def test_calls_the_courier_has_not_started_are_made_by_the_batch_s_thread_meanwhile(
    clock, shop, settings_row, monkeypatch
):
    # given: the first email's answer is slow, so the courier thread is held up by it
    ids = queued_emails(shop, 3)
    calls = calls_by_thread(monkeypatch)
    slow = Reply(200, delay=2.0, to="customer0@example.com")
    with FakeEsp([slow]) as fake, postmark_at(fake, read_timeout=10):
        # when
        outcomes = sending.messages_send(message_ids=ids)
    # then: the batch's own thread made the two calls the courier had not reached, each email went once
    assert {outcome.status for outcome in outcomes.values()} == {MessageStatus.SENT}
    assert sorted(int(email["Metadata"]["message_id"]) for email in fake.requests) == ids
    made_here = {to for thread, to in calls if thread == threading.main_thread().name}
    assert {"customer1@example.com", "customer2@example.com"} <= made_here
    stored = dict(Message.objects.filter(pk__in=ids).values_list("pk", "esp_message_id"))
    assert set(stored.values()) == {email["MessageID"] for email in fake.accepted}


def test_a_call_taken_back_and_stopped_midway_is_unknown_and_the_untouched_ones_go_back(
    clock, shop, settings_row, monkeypatch
):
    # given: the courier is held up by the first email's slow answer; the task's soft time limit strikes
    # right after this thread's own call (taken back from the courier) reached the ESP
    ids = queued_emails(shop, 3)
    from anymail.backends.postmark import EmailBackend

    real = EmailBackend.send_messages

    def stopped_after_own_call(self, email_messages):
        sent = real(self, email_messages)
        if threading.current_thread() is threading.main_thread():
            assert fake.wait_for_requests(2, timeout=10)  # the courier's call is at the ESP too
            raise SoftTimeLimitExceeded()
        return sent

    monkeypatch.setattr(EmailBackend, "send_messages", stopped_after_own_call)
    slow = Reply(200, delay=2.0, to="customer0@example.com")
    # when
    with FakeEsp([slow]) as fake, postmark_at(fake, read_timeout=10), pytest.raises(SoftTimeLimitExceeded):
        sending.messages_send(message_ids=ids)
    # then: both calls that started are unknown (never simply retried); the one never started is queued again
    assert statuses(ids) == {
        ids[0]: MessageStatus.UNKNOWN,
        ids[1]: MessageStatus.QUEUED,
        ids[2]: MessageStatus.UNKNOWN,
    }
    assert Message.objects.get(pk=ids[1]).attempts == 0
    assert sorted(int(email["Metadata"]["message_id"]) for email in fake.requests) == [ids[0], ids[2]]


def test_messages_another_worker_claimed_are_left_alone(clock, shop, settings_row):
    # given: one of the batch was claimed elsewhere a moment ago, one is not due yet
    ids = queued_emails(shop, 3)
    Message.objects.filter(pk=ids[0]).update(status=MessageStatus.SENDING)
    Message.objects.filter(pk=ids[2]).update(send_after=Message.objects.get(pk=ids[2]).send_after + timedelta(hours=1))
    # when
    outcomes = sending.messages_send(message_ids=[*ids, 999_999])
    # then: only the free, due one was sent
    assert statuses(ids) == {ids[0]: MessageStatus.SENDING, ids[1]: MessageStatus.SENT, ids[2]: MessageStatus.QUEUED}
    assert outcomes[999_999].status == "missing"
    assert [email.to[0] for email in mail.outbox] == [Message.objects.get(pk=ids[1]).to_email]


def test_the_release_tick_publishes_emails_in_batches_and_each_sms_alone(
    clock, shop, settings_row, published, django_capture_on_commit_callbacks
):
    # given: three emails and a text message due
    emails = queued_emails(shop, 3)
    sms = Message.objects.get(pk=emails[0])
    sms.pk, sms.channel, sms.trigger_id, sms.to_phone, sms.to_email = None, "sms", 10**9, "+48600100200", ""
    sms.status_change_id = None
    sms.trigger_kind = "test"
    sms.save()
    Message.objects.update(released_at=None)
    published.clear()
    # when
    with override_settings(NOTIFICATIONS_SEND_BATCH=2), django_capture_on_commit_callbacks(execute=True):
        due = outbox.messages_release_due()
    # then
    assert sorted(due) == sorted([*emails, sms.pk])
    batches = [kwargs["message_ids"] for name, kwargs in published if name == "notifications.send_messages"]
    assert sorted(len(batch) for batch in batches) == [1, 2]
    assert sorted(pk for batch in batches for pk in batch) == sorted(emails)
    assert [kwargs for name, kwargs in published if name == "notifications.send_message"] == [{"message_id": sms.pk}]


def test_a_poll_batch_s_emails_go_out_as_one_batch_task(
    clock, shop, settings_row, published, django_capture_on_commit_callbacks
):
    # given: three parcels changed status in one poll batch (out for delivery emails go at once)
    changes = []
    for number in range(3):
        order = OrderFactory(shop=shop, customer_email=f"batch{number}@example.com")
        changes.append(make_change(ShipmentFactory(order=order, status="out_for_delivery")).pk)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        process_status_changes(changes)
    # then: one batch send carries all three emails, and running it sends them
    (batch,) = [kwargs["message_ids"] for name, kwargs in published if name == "notifications.send_messages"]
    assert len(batch) == 3
    assert not [name for name, _ in published if name == "notifications.send_message"]
    assert send_messages(batch) == 3
    assert sorted(email.to[0] for email in mail.outbox) == [f"batch{number}@example.com" for number in range(3)]


def test_the_batch_task_publishes_a_retry_for_the_message_that_must_wait(clock, shop, settings_row, published):
    # given: the ESP is briefly unavailable for the second email
    ids = queued_emails(shop, 2)
    published.clear()
    with FakeEsp([Reply(503, to="customer1@example.com")]) as fake, postmark_at(fake):
        # when
        sent = send_messages(ids)
    # then: one sent, the other published alone with its backoff
    assert sent == 1
    assert [(name, kwargs["message_id"]) for name, kwargs in published] == [("notifications.send_message", ids[1])]
    assert Message.objects.get(pk=ids[1]).status == MessageStatus.QUEUED


def test_a_task_s_ids_go_chunk_by_chunk_each_recorded(clock, shop, settings_row, monkeypatch):
    # given: five emails and chunks of two
    ids = queued_emails(shop, 5)
    monkeypatch.setattr(sending, "CLAIM_CHUNK", 2)
    with FakeEsp() as fake, postmark_at(fake), CaptureQueriesContext(connection) as queries:
        # when
        outcomes = sending.messages_send(message_ids=ids)
    # then: all five sent once, each with the ESP's id, and each chunk claimed on its own
    assert {outcome.status for outcome in outcomes.values()} == {MessageStatus.SENT}
    assert sorted(int(email["Metadata"]["message_id"]) for email in fake.requests) == ids
    stored = dict(Message.objects.filter(pk__in=ids).values_list("pk", "esp_message_id"))
    assert set(stored.values()) == {email["MessageID"] for email in fake.accepted}
    claims = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "notifications_message" SET "status"')]
    assert len(claims) == 3
