"""The daily digest also lists the shop's emails whose outcome is still unknown (and nothing of another shop)."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from notifications import sending
from notifications.models import Message, MessageStatus
from tests.notifications.factories import MessageFactory
from watchlist.digest import DIGEST_TRIGGER, incident_digest_send
from watchlist.tasks import send_digests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anymail_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    sending._connections.clear()
    mail.outbox = []
    yield
    sending._connections.clear()


def _sent_digest(shop):
    message = Message.objects.get(shop=shop, trigger_kind=DIGEST_TRIGGER)
    sending.message_send(message_id=message.pk)
    (email,) = mail.outbox
    return email


def test_a_shop_with_only_unresolved_messages_gets_a_digest_naming_them(shop, other_shop):
    # given: no incident, one unknown outcome in this shop and one in another
    shop.locale = "en"
    shop.save()
    message = MessageFactory(
        status_change__shipment__order__shop=shop,
        status=MessageStatus.UNKNOWN,
        unknown_since=datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
    )
    MessageFactory(status_change__shipment__order__shop=other_shop, status=MessageStatus.UNKNOWN)
    # when
    first = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    again = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    # then: one digest, naming the order, never the customer's address, nothing of the other shop
    assert (first, again) == (1, None)
    email = _sent_digest(shop)
    assert email.subject == f"{shop.name}: 1 email(s) of unknown outcome need a decision"
    assert f"order {message.order.number}: out_for_delivery (email), unknown since" in email.body
    assert message.to_email not in email.body
    assert not Message.objects.filter(shop=other_shop, trigger_kind=DIGEST_TRIGGER).exists()


def test_the_beat_asks_for_digests_of_shops_with_unresolved_messages(shop):
    # given
    MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.UNKNOWN)
    # when
    asked = send_digests()
    # then
    assert asked == 1
    assert Message.objects.filter(shop=shop, trigger_kind=DIGEST_TRIGGER).count() == 1


def test_no_digest_without_incidents_or_unresolved_messages(shop):
    # given: a message that was settled
    MessageFactory(status_change__shipment__order__shop=shop, status=MessageStatus.SENT, reconciliation="found")
    # when
    result = incident_digest_send(shop=shop, day=date(2026, 11, 5))
    # then
    assert result is None
    assert not Message.objects.filter(trigger_kind=DIGEST_TRIGGER).exists()
