"""The daily digest also lists the shop's emails whose outcome is still unknown (and nothing of another shop)."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from notifications.models import MessageStatus
from tests.notifications.factories import MessageFactory
from watchlist.alerts import incident_digest_send
from watchlist.tasks import send_digests

pytestmark = pytest.mark.django_db


def test_a_shop_with_only_unresolved_messages_gets_a_digest_naming_them(shop, other_shop):
    # given: no incident, one unknown outcome in this shop and one in another
    message = MessageFactory(
        status_change__shipment__order__shop=shop,
        status=MessageStatus.UNKNOWN,
        unknown_since=datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
    )
    MessageFactory(status_change__shipment__order__shop=other_shop, status=MessageStatus.UNKNOWN)
    other_shop.support_email = ""
    other_shop.save()
    # when
    first = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    again = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    # then
    assert (first, again) == (1, None)
    (digest,) = mail.outbox
    assert digest.subject == f"{shop.name}: 1 email(s) of unknown outcome need a decision"
    assert f"order {message.order.number}: out_for_delivery email, unknown since 2026-11-04 09:00 UTC" in digest.body
    assert message.to_email not in digest.body


def test_the_beat_sends_digests_to_shops_with_unresolved_messages(shop):
    # given
    MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.UNKNOWN)
    # when
    sent = send_digests()
    # then
    assert sent == 1
    assert "still unresolved" in mail.outbox[0].body


def test_no_digest_without_incidents_or_unresolved_messages(shop):
    # given: a message that was settled
    MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.SENT, reconciliation="found")
    # when
    result = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    # then
    assert result is None
    assert mail.outbox == []
