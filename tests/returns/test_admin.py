"""The returns queue in the admin: bulk decisions through the services, tenant-scoped and role-aware."""

import pytest
from django.urls import reverse

from notifications.models import Message
from returns.models import ReturnRequest, ReturnState
from returns.services import ReturnLine, return_request_create
from tests.factories import MembershipFactory, OrderFactory, OrderItemFactory, ShipmentFactory
from tests.returns.conftest import DELIVERED_AT, NOW

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:returns_returnrequest_changelist")


@pytest.fixture
def requested(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )


@pytest.fixture
def foreign_return(other_shop):
    from returns.models import ReturnReason, ReturnRule

    ReturnRule.objects.create(shop=other_shop, window_days=30)
    reason = ReturnReason.objects.create(shop=other_shop, code="other", label="Foreign reason")
    order = OrderFactory(shop=other_shop, number="B-RET-1")
    item = OrderItemFactory(order=order, name="Foreign lamp")
    ShipmentFactory(order=order, status="delivered", delivered_at=DELIVERED_AT)
    return return_request_create(
        order=order,
        lines=[ReturnLine(order_item_id=item.pk, quantity=1, reason_id=reason.pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )


def test_the_queue_lists_only_the_own_shops_returns(client, owner, requested, foreign_return):
    client.force_login(owner)

    page = client.get(QUEUE).content.decode()

    assert "PF-RET-1" in page
    assert "B-RET-1" not in page
    assert "Foreign reason" not in page
    assert client.get(reverse("admin:returns_returnrequest_change", args=[foreign_return.pk])).status_code == 404


def test_support_approves_and_a_forged_action_on_another_shop_changes_nothing(
    client, support, requested, foreign_return
):
    client.force_login(support)

    client.post(QUEUE, {"action": "approve", "_selected_action": [requested.pk, foreign_return.pk], "note": ""})

    assert ReturnRequest.objects.get(pk=requested.pk).state == ReturnState.APPROVED
    assert ReturnRequest.objects.get(pk=foreign_return.pk).state == ReturnState.REQUESTED
    assert not Message.objects.filter(trigger_kind="return_approved", trigger_id=foreign_return.pk).exists()


def test_reject_without_a_note_is_refused_with_a_message(client, owner, requested):
    client.force_login(owner)

    response = client.post(QUEUE, {"action": "reject", "_selected_action": [requested.pk], "note": ""}, follow=True)

    assert "Say why the return is rejected." in response.content.decode()
    assert ReturnRequest.objects.get(pk=requested.pk).state == ReturnState.REQUESTED


def test_reject_with_a_note_records_the_reason(client, owner, requested):
    client.force_login(owner)

    client.post(QUEUE, {"action": "reject", "_selected_action": [requested.pk], "note": "Worn item"})

    rejected = ReturnRequest.objects.get(pk=requested.pk)
    assert (rejected.state, rejected.rejection_reason) == (ReturnState.REJECTED, "Worn item")


def test_a_marketer_cannot_approve(client, marketer, requested):
    client.force_login(marketer)

    client.post(QUEUE, {"action": "approve", "_selected_action": [requested.pk], "note": ""})

    assert ReturnRequest.objects.get(pk=requested.pk).state == ReturnState.REQUESTED


def test_filters_by_state_and_reason(client, owner, requested, return_setup):
    client.force_login(owner)

    by_state = client.get(QUEUE, {"state__exact": "approved"}).content.decode()
    by_reason = client.get(QUEUE, {"reason": str(return_setup["size"].pk)}).content.decode()

    assert "PF-RET-1" not in by_state
    assert "PF-RET-1" in by_reason


def test_another_shops_owner_sees_no_rules_or_reasons(client, return_setup, other_shop):
    stranger = MembershipFactory(shop=other_shop, role="owner").user
    client.force_login(stranger)

    reasons = client.get(reverse("admin:returns_returnreason_changelist")).content.decode()

    assert "Wrong size" not in reasons
    rule_url = reverse("admin:returns_returnrule_change", args=[return_setup["rule"].pk])
    assert client.get(rule_url).status_code == 404


def test_the_insight_csv_counts_returns_by_product_reason_and_carrier_of_the_own_shop_only(
    client, owner, requested, foreign_return
):
    client.force_login(owner)

    response = client.get(
        reverse("admin:returns_returnrequest_insight"), {"since": "2026-11-01", "until": "2026-12-31"}
    )

    lines = response.content.decode().splitlines()
    assert response.status_code == 200
    assert lines[0] == "sku,name,category,carrier,reason,returned,ordered,return_rate"
    assert lines[1:] == ["MUG,Mug,,inpost,Wrong size,1,3,33.3%"]
