"""The delivered email links to the returns portal (signed, no lookup) only while the order can be returned."""

import re

import pytest
import time_machine

from notifications import content, outbox
from notifications.models import Message
from returns.models import ReturnRule
from returns.services import ReturnLine, return_request_create
from tests.factories import StatusChangeFactory
from tests.returns.conftest import DELIVERED_AT, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def delivered_email(order, to_status="delivered"):
    shipment = order.shipments.get()
    change = StatusChangeFactory(shipment=shipment, from_status="out_for_delivery", to_status=to_status)
    outbox.status_change_process(status_change_id=change.pk)
    message = Message.objects.filter(status_change=change, campaign_id__isnull=True).get()
    return content.message_content(message).rendered


def portal_link(text: str) -> str | None:
    found = re.search(r"(http\S+/returns/start/\S+)", text)
    return found.group(1) if found else None


def test_the_delivered_email_carries_a_signed_link_that_opens_the_form(client, delivered_order):
    rendered = delivered_email(delivered_order["order"])

    link = portal_link(rendered.text)
    assert link is not None and link.startswith(f"http://127.0.0.1:8000/{delivered_order['order'].shop.slug}/")
    assert f'href="{link}"' in rendered.html
    form = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert form.status_code == 200 and "PF-RET-1" in form.content.decode()


def test_the_link_dies_once_a_return_is_submitted(client, delivered_order, return_setup):
    link = portal_link(delivered_email(delivered_order["order"]).text)
    mug = delivered_order["mug"]
    return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )

    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 404


def test_no_link_without_returns_or_once_everything_is_returned(delivered_order, return_setup):
    order = delivered_order["order"]
    ReturnRule.objects.filter(shop=order.shop).update(window_days=0)
    assert portal_link(delivered_email(order).text) is None

    ReturnRule.objects.filter(shop=order.shop).update(window_days=14)
    mug = delivered_order["mug"]
    return_request_create(
        order=order,
        lines=[ReturnLine(order_item_id=mug.pk, quantity=3, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )
    # The other two lines are excluded (hygiene tag, discounted): nothing left to return.
    Message.objects.all().delete()
    assert portal_link(delivered_email(order).text) is None


def test_no_link_in_other_status_emails_or_after_the_window(delivered_order):
    order = delivered_order["order"]
    assert portal_link(delivered_email(order, to_status="available_for_pickup").text) is None

    with time_machine.travel(DELIVERED_AT.replace(month=12, day=20), tick=False):
        assert portal_link(delivered_email(order).text) is None
