"""The daily digest to the shop's support address: one message a day through notifications, branded, in the
shop's language; never Django's send_mail, never another shop's incidents."""

import pytest
from django.core import mail

from carriers.types import Status
from notifications import sending
from notifications.models import Message, MessageStatus
from tests.watchlist.helpers import look, parcel, scan, warsaw
from watchlist.digest import DIGEST_TRIGGER, incident_digest_send
from watchlist.models import DigestSent
from watchlist.tasks import send_digests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anymail_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    sending._connections.clear()
    mail.outbox = []
    yield
    sending._connections.clear()


def _stalled(shop):
    """A parcel of ``shop`` stalled since Monday 2 November, its incident open on Thursday."""
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    look(moving, warsaw(2026, 11, 5, 16, 0))
    return moving


def test_the_digest_is_one_message_a_day_in_the_shops_language(shop, published, django_capture_on_commit_callbacks):
    # given an open incident of a Polish shop
    moving = _stalled(shop)
    published.clear()

    # when the digest is asked for twice on the same day, and the published send runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = incident_digest_send(shop=shop, day=warsaw(2026, 11, 6).date())
        second = incident_digest_send(shop=shop, day=warsaw(2026, 11, 6).date())
    message = Message.objects.get(trigger_kind=DIGEST_TRIGGER)
    sending.message_send(message_id=message.pk)
    sending.message_send(message_id=message.pk)

    # then one message to the support address, published once, sent once, in Polish, branded with the shop
    assert (first, second) == (1, None)
    assert (message.to_email, message.language, message.order_id, message.template) == (
        shop.support_email,
        "pl",
        None,
        "watchlist_digest",
    )
    assert [kw for name, kw in published if name == "notifications.send_message"] == [{"message_id": message.pk}]
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [shop.support_email]
    assert email.subject == f"{shop.name}: przesyłki wymagające uwagi: 1"
    assert "Utknęła w transporcie" in email.body
    assert moving.tracking_number in email.body
    assert shop.name in email.alternatives[0][0]
    assert "zamówiłeś" not in email.alternatives[0][0]  # the customer footer is not the team's
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_the_next_day_gets_its_own_digest(shop):
    # given a digest sent on Friday
    _stalled(shop)
    incident_digest_send(shop=shop, day=warsaw(2026, 11, 6).date())

    # when Saturday's digest is asked for
    saturday = incident_digest_send(shop=shop, day=warsaw(2026, 11, 7).date())

    # then a second message, one per day
    assert saturday == 1
    assert Message.objects.filter(trigger_kind=DIGEST_TRIGGER).count() == 2
    assert DigestSent.objects.filter(shop=shop).count() == 2


def test_a_shop_without_a_support_address_or_incidents_gets_nothing(shop, other_shop):
    # given a shop with an open incident but no support address, and a shop with no incident
    _stalled(shop)
    shop.support_email = ""
    shop.save()

    # when their digests are asked for
    without_address = incident_digest_send(shop=shop, day=warsaw(2026, 11, 6).date())
    without_incidents = incident_digest_send(shop=other_shop, day=warsaw(2026, 11, 6).date())

    # then nothing is stored, so a later day with an address still sends
    assert (without_address, without_incidents) == (None, None)
    assert not Message.objects.filter(trigger_kind=DIGEST_TRIGGER).exists()
    assert not DigestSent.objects.exists()


def test_a_digest_lists_only_its_own_shops_incidents(shop, other_shop):
    # given open incidents in two shops
    mine = _stalled(shop)
    theirs = _stalled(other_shop)

    # when the hourly beat sends the digests
    sent = send_digests()

    # then each shop's digest names only its own parcels
    assert sent == 2
    own = Message.objects.get(trigger_kind=DIGEST_TRIGGER, shop=shop)
    numbers = [row["tracking_number"] for row in own.context["incidents"]]
    assert numbers == [mine.tracking_number]
    assert theirs.tracking_number not in str(own.context)
    assert Message.objects.get(trigger_kind=DIGEST_TRIGGER, shop=other_shop).to_email == other_shop.support_email
