"""The admin of messages of unknown outcome: counts, filters, 'resend' and 'mark as sent', scoped to the shop."""

from datetime import UTC, datetime

import pytest

from notifications.models import Message, MessageStatus, Reconciliation
from shops.models import AuditEvent
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications/message/"
SINCE = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


def unknown(shop, **fields):
    return MessageFactory(
        status_change__shipment__order__shop=shop,
        status=MessageStatus.UNKNOWN,
        reason="Outcome unknown: the worker was lost during the ESP call",
        unknown_since=SINCE,
        handed_to_esp_at=SINCE,
        **fields,
    )


def test_the_messages_page_counts_and_filters_only_the_shops_own_unknown_outcomes(client, support, shop, other_shop):
    # given
    mine = unknown(shop)
    left = unknown(shop, reconciliation=Reconciliation.LEFT_FOR_A_PERSON)
    MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.SENT, reconciliation="found")
    unknown(other_shop)  # another shop's: neither counted nor listed
    client.force_login(support)
    # when
    page = client.get(CHANGELIST)
    filtered = client.get(CHANGELIST, {"status__exact": "unknown"})
    reconciled = client.get(CHANGELIST, {"reconciled": "yes"})
    # then
    assert page.context["reconciliation_counts"] == {"unknown": 2, "left_for_a_person": 1, "reconciled": 2}
    assert "<strong>2</strong> of unknown outcome" in page.content.decode()
    assert {row.pk for row in filtered.context["cl"].result_list} == {mine.pk, left.pk}
    assert {row.reconciliation for row in reconciled.context["cl"].result_list} == {"found", "left_for_a_person"}


def test_support_resends_an_unknown_message_of_its_shop_audited_never_another_shops(client, support, shop, other_shop):
    # given
    mine = unknown(shop)
    theirs = unknown(other_shop)
    client.force_login(support)
    # when: a forged POST also names the other shop's message
    response = client.post(CHANGELIST, {"action": "resend_unknown", "_selected_action": [mine.pk, theirs.pk]})
    # then
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.reconciliation, mine.reconciled_by) == (
        MessageStatus.QUEUED,
        Reconciliation.RESENT_MANUALLY,
        support.username,
    )
    assert (theirs.status, theirs.reconciliation) == (MessageStatus.UNKNOWN, "")
    assert list(AuditEvent.objects.values_list("shop_id", "action")) == [(shop.pk, "message_resent")]


def test_owner_marks_an_unknown_message_sent_and_a_sent_one_is_skipped(client, owner, shop):
    # given
    message = unknown(shop)
    sent = MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.SENT)
    client.force_login(owner)
    # when
    response = client.post(
        CHANGELIST, {"action": "mark_unknown_sent", "_selected_action": [message.pk, sent.pk]}, follow=True
    )
    # then
    message.refresh_from_db()
    assert (message.status, message.reconciliation) == (MessageStatus.SENT, Reconciliation.MARKED_SENT)
    assert "1 message(s) marked as sent." in response.content.decode()
    assert "1 message(s) skipped: their outcome is not unknown." in response.content.decode()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["message_marked_sent"]


def test_a_marketer_may_not_resend(client, marketer, shop):
    # given
    message = unknown(shop)
    client.force_login(marketer)
    # when
    page = client.get(CHANGELIST)
    response = client.post(CHANGELIST, {"action": "resend_unknown", "_selected_action": [message.pk]})
    # then
    assert "resend_unknown" not in page.content.decode()
    assert response.status_code in (200, 302)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.UNKNOWN
    assert AuditEvent.objects.count() == 0


def test_the_detail_page_shows_every_reconciliation_decision(client, support, shop):
    # given
    message = unknown(shop, reconciliation_log="2026-11-04 09:10:00 UTC, reconciliation sweeper: Left for a person\n")
    client.force_login(support)
    # when
    detail = client.get(f"{CHANGELIST}{message.pk}/change/")
    # then
    assert detail.status_code == 200
    assert "Reconciliation (outcome unknown)" in detail.content.decode()
    assert "reconciliation sweeper: Left for a person" in detail.content.decode()


def test_the_notifications_page_counts_unknown_outcomes_of_the_users_shops_only(client, support, shop, other_shop):
    # given
    unknown(shop)
    unknown(other_shop)
    unknown(other_shop)
    client.force_login(support)
    # when
    page = client.get("/admin/notifications/")
    # then
    assert page.status_code == 200
    assert "<strong>1</strong> of unknown outcome" in page.content.decode()
    assert "/admin/notifications/message/?status__exact=unknown" in page.content.decode()
