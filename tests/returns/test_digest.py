"""The shop hears of return requests waiting for its approval: one digest email each, through notifications."""

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail

from config.celery import beat_schedule
from notifications.content import message_content
from notifications.models import Message
from notifications.sending import message_send
from returns.digest import return_digests_send
from returns.models import ReturnDigest, ReturnRule
from returns.services import ReturnLine, return_approve, return_request_create
from shops.models import Membership, Role
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory
from tests.returns.conftest import DELIVERED_AT, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def ask(order, item, reason):
    return return_request_create(
        order=order,
        lines=[ReturnLine(order_item_id=item.pk, quantity=1, reason_id=reason.pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )


def test_new_waiting_requests_go_out_once_in_one_digest_to_the_support_address(delivered_order, return_setup, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    shop = delivered_order["order"].shop
    shop.support_email = "zwroty@shop.example"
    shop.save()
    waiting = ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])
    approved = ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])
    return_approve(return_request=approved, now=NOW)

    assert return_digests_send(now=NOW) == 1
    assert return_digests_send(now=NOW) == 0

    digest = ReturnDigest.objects.get()
    assert (digest.shop, digest.request_count, digest.waiting_count) == (shop, 1, 1)
    message = Message.objects.get(trigger_kind="returns_digest")
    assert (message.to_email, message.trigger_id) == ("zwroty@shop.example", digest.pk)
    rendered = message_content(message).rendered
    assert rendered.subject == "Zgłoszenia zwrotu czekające na Twoją akceptację: 1"
    assert "PF-RET-1" in rendered.text and "Wrong size" in rendered.text
    assert f"/admin/returns/returnrequest/{waiting.pk}/change/" in rendered.text
    assert "/admin/returns/returnrequest/?state__exact=requested" in rendered.text
    message_send(message_id=message.pk)
    assert [sent.to for sent in mail.outbox if "Zgłoszenia zwrotu" in sent.subject] == [["zwroty@shop.example"]]


def test_a_later_request_comes_in_the_next_digest_with_the_total_waiting(delivered_order, return_setup):
    shop = delivered_order["order"].shop
    shop.support_email = "zwroty@shop.example"
    shop.save()
    ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])
    return_digests_send(now=NOW)

    ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])
    return_digests_send(now=NOW)

    assert list(ReturnDigest.objects.order_by("pk").values_list("request_count", "waiting_count")) == [(1, 1), (1, 2)]


def test_without_a_support_address_the_owner_hears_and_without_either_nothing_is_stored(delivered_order, return_setup):
    shop = delivered_order["order"].shop
    shop.support_email = ""
    shop.save()
    ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])

    assert return_digests_send(now=NOW) == 0
    assert (ReturnDigest.objects.count(), Message.objects.filter(trigger_kind="returns_digest").count()) == (0, 0)

    owner = get_user_model().objects.create_user(username="owner", email="owner@shop.example", password="x")
    Membership.objects.create(user=owner, shop=shop, role=Role.OWNER)
    assert return_digests_send(now=NOW) == 1
    assert Message.objects.get(trigger_kind="returns_digest").to_email == "owner@shop.example"


def test_each_shop_hears_only_of_its_own_requests(delivered_order, return_setup, other_shop):
    from returns.models import ReturnReason

    shop = delivered_order["order"].shop
    for each, address in ((shop, "a@shop.example"), (other_shop, "b@other.example")):
        each.support_email = address
        each.save()
    ReturnRule.objects.create(shop=other_shop, window_days=14)
    reason = ReturnReason.objects.create(shop=other_shop, code="size", label="Other shop's reason")
    order = OrderFactory(shop=other_shop, number="OTHER-1")
    item = OrderItemFactory(order=order, name="Other mug")
    ShipmentFactory(order=order, status="delivered", delivered_at=DELIVERED_AT)
    ask(delivered_order["order"], delivered_order["mug"], return_setup["size"])
    ask(order, item, reason)

    assert return_digests_send(now=NOW) == 2

    texts = {
        message.to_email: message_content(message).rendered.text
        for message in Message.objects.filter(trigger_kind="returns_digest")
    }
    assert "PF-RET-1" in texts["a@shop.example"] and "OTHER-1" not in texts["a@shop.example"]
    assert "OTHER-1" in texts["b@other.example"] and "PF-RET-1" not in texts["b@other.example"]


def test_the_digest_runs_on_the_beat():
    assert beat_schedule()["returns-send-digests"]["task"] == "returns.send_digests"
