"""A return's step email goes out through notifications, branded and in the customer's language."""

import pytest
from django.core import mail

from notifications import sending
from notifications.models import Message, MessageStatus
from returns.services import ReturnLine, return_request_create
from tests.returns.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anymail_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    sending._connections.clear()
    mail.outbox = []
    yield
    sending._connections.clear()


def test_the_requested_email_is_sent_once_in_polish(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )
    message = Message.objects.get(trigger_kind="return_requested")

    sending.message_send(message_id=message.pk)
    sending.message_send(message_id=message.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Otrzymaliśmy zgłoszenie zwrotu zamówienia PF-RET-1"
    assert mail.outbox[0].to == [delivered_order["order"].customer_email]
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT
