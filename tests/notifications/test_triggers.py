"""Messages for any trigger: one per (trigger kind, trigger id, channel, campaign), asked for through one service."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from jinja2 import ChoiceLoader, FileSystemLoader

from notifications import outbox, sending, tasks
from notifications.models import Message, MessageStatus
from notifications.rendering import project_environment, text_environment
from tests.factories import OrderFactory, StatusChangeFactory
from tests.notifications.conftest import NOW, make_change

pytestmark = pytest.mark.django_db

SEND = "notifications.send_message"


def request(order, **overrides):
    """Ask for a return's email the way a higher app would (notifications does not know "return")."""
    fields = {
        "shop": order.shop,
        "trigger_kind": "return",
        "trigger_id": 41,
        "channel": "email",
        "recipient": " anna@example.com ",
        "template": "return_approved",
        "language": "pl",
        "context": {"return_number": "R-41"},
        "order": order,
    }
    return outbox.message_request(**{**fields, **overrides})


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` — the block's on-commit publishes run at its end, as if it had committed."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def order(shop):
    return OrderFactory(shop=shop, customer_email="anna@example.com")


@pytest.fixture
def return_templates(tmp_path, monkeypatch):
    """Templates of a trigger kind notifications ships nothing for, as the asking app would provide them."""
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "return_approved.subject.txt").write_text("Zwrot {{ return_number }} przyjęty — {{ shop.name }}\n")
    (folder / "return_approved.txt").write_text("Zwrot {{ return_number }} przyjęty.\n{{ unsubscribe_url }}\n")
    (folder / "return_approved.html").write_text(
        '<p style="color: {{ brand.text }}">Zwrot <b>{{ return_number }}</b> przyjęty.</p>'
    )
    for environment in (project_environment(), text_environment()):
        loader = ChoiceLoader([FileSystemLoader(str(tmp_path)), environment.loader])
        monkeypatch.setattr(environment, "loader", loader)
    return folder


def test_repeated_request_is_one_message_and_the_first_call_wins(clock, order, published, commit):
    # given
    with commit():
        first = request(order)
    # when the asking app's task runs again (redelivery), even with other details
    with commit():
        second = request(order, recipient="other@example.com", context={"return_number": "R-99"})
    # then
    assert second.pk == first.pk
    assert Message.objects.count() == 1
    stored = Message.objects.get()
    assert (stored.trigger_kind, stored.trigger_id, stored.channel, stored.campaign_key) == ("return", 41, "email", 0)
    assert (stored.to_email, stored.context, stored.status_change_id) == (
        "anna@example.com",
        {"return_number": "R-41"},
        None,
    )
    assert (stored.status, stored.send_after, stored.released_at) == (MessageStatus.QUEUED, NOW, NOW)
    # both calls publish the due send (the first publish may have been lost); the claim sends it once
    assert published == [(SEND, {"message_id": first.pk})] * 2


def test_two_triggers_of_different_kinds_with_the_same_id_are_two_messages(clock, order, published):
    # when
    returned = request(order, trigger_kind="return", trigger_id=7)
    incident = request(order, trigger_kind="incident", trigger_id=7)
    # then
    assert returned.pk != incident.pk
    assert sorted(Message.objects.values_list("trigger_kind", "trigger_id")) == [("incident", 7), ("return", 7)]


def test_same_trigger_for_a_campaign_is_its_own_message(clock, order, published):
    # when
    transactional = request(order)
    campaign = request(order, campaign=5, variant="B")
    # then
    assert transactional.pk != campaign.pk
    assert (campaign.campaign_key, campaign.campaign_id, campaign.variant) == (5, 5, "B")
    assert (transactional.campaign_key, transactional.campaign_id) == (0, None)


def test_database_refuses_a_second_message_for_the_same_key_without_a_campaign(clock, order, published):
    # given: no campaign is keyed as 0, not NULL, so PostgreSQL and SQLite both enforce the key
    message = request(order)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            shop=order.shop,
            trigger_kind="return",
            trigger_id=41,
            channel="email",
            order=order,
            to_email="anna@example.com",
            language="pl",
            send_after=NOW,
        )
    assert list(Message.objects.values_list("pk", flat=True)) == [message.pk]


def test_database_refuses_a_status_change_link_on_another_trigger_kind(clock, order, published):
    # given
    change = StatusChangeFactory(shipment__order=order)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            shop=order.shop,
            trigger_kind="return",
            trigger_id=change.pk,
            status_change=change,
            order=order,
            to_email="anna@example.com",
            language="pl",
            send_after=NOW,
        )
    assert Message.objects.count() == 0


def test_a_later_send_at_waits_for_the_release_tick(clock, order, published, commit):
    # given
    with commit():
        message = request(order, send_at=NOW + timedelta(hours=2))
    # then: nothing published yet
    assert published == []
    assert message.released_at is None
    # when the time has come
    clock.shift(timedelta(hours=2))
    with commit():
        due = outbox.messages_release_due()
    # then
    assert due == [message.pk]
    assert published == [("notifications.send_messages", {"message_ids": [message.pk]})]


def test_an_sms_request_stores_the_number_not_an_email(clock, order, published):
    # when
    message = request(order, channel="sms", recipient="+48600100200")
    # then
    assert (message.channel, message.to_phone, message.to_email) == ("sms", "+48600100200", "")
    assert message.status == MessageStatus.QUEUED


def test_an_unknown_channel_has_no_sender_so_nothing_is_stored(clock, order, published):
    # when / then
    with pytest.raises(ValueError, match="No sender for the channel 'fax'"):
        request(order, channel="fax", recipient="+48600100200")
    assert Message.objects.count() == 0
    assert published == []


def test_unknown_trigger_kind_renders_through_the_template_it_was_given(clock, order, published, return_templates):
    # given
    message = request(order)
    # when
    outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SENT
    (sent,) = mail.outbox
    assert sent.subject == f"Zwrot R-41 przyjęty — {order.shop.name}"
    assert sent.body.startswith("Zwrot R-41 przyjęty.\nhttp://127.0.0.1:8000/email/unsubscribe/")
    html = sent.alternatives[0].content
    assert "Zwrot <b>R-41</b> przyjęty." in html
    assert sent.to == ["anna@example.com"]
    assert sent.metadata == {"message_id": str(message.pk), "shop_id": str(order.shop.pk)}
    assert sent.tags == ["return-return_approved"]
    message.refresh_from_db()
    assert (message.status, message.subject) == (MessageStatus.SENT, sent.subject)


def test_a_trigger_message_is_sent_exactly_once(clock, order, published, commit, return_templates):
    # given: asked for twice, and every published send runs (a redelivery included)
    with commit():
        request(order)
    with commit():
        request(order)
    # when
    for _, kwargs in published:
        tasks.send_message.apply(kwargs=kwargs)
    tasks.send_message.apply(kwargs=published[0][1])
    # then
    assert len(published) == 2
    assert len(mail.outbox) == 1
    assert Message.objects.get().status == MessageStatus.SENT


def test_a_missing_template_fails_the_message_without_sending(clock, order, published, settings):
    # given
    message = request(order, template="no_such_template")
    # when
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sending, "max_attempts", lambda: 1)
        outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.FAILED
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.reason == (
        "Gave up after 1 attempts: Rendering failed: 'emails/no_such_template.subject.txt' not found in search path: "
        f"'{settings.BASE_DIR / 'templates'}'"
    )
    assert message.handed_to_esp_at is None


def test_status_changes_go_through_the_same_key(clock, shipment, settings_row, published, commit):
    # given
    change = make_change(shipment, to_status="out_for_delivery")
    # when
    with commit():
        (message_id,) = outbox.status_change_process(status_change_id=change.pk)
    # then
    message = Message.objects.get(pk=message_id)
    assert (message.trigger_kind, message.trigger_id, message.channel, message.campaign_key) == (
        "status_change",
        change.pk,
        "email",
        0,
    )
    assert (message.status_change_id, message.template) == (change.pk, "status")
    assert published == [(SEND, {"message_id": message.pk})]


def test_process_status_change_task_takes_the_id_by_keyword_and_by_position(
    clock, shipment, settings_row, published, commit
):
    # given
    change = make_change(shipment, to_status="out_for_delivery")
    # when: shipments publishes by keyword; older publishers (and the reliability tests) by position
    with commit():
        tasks.process_status_change.apply(kwargs={"status_change_id": change.pk})
    with commit():
        tasks.process_status_change.apply(args=[change.pk])
    # then
    message = Message.objects.get(status_change=change)
    assert published == [(SEND, {"message_id": message.pk})] * 2
