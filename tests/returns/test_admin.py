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


def test_the_insight_csv_counts_returns_by_product_category_and_carrier_of_the_own_shop_only(
    client, owner, requested, foreign_return
):
    client.force_login(owner)

    response = client.get(
        reverse("admin:returns_returnrequest_insight"), {"since": "2026-11-01", "until": "2026-12-31"}
    )

    lines = response.content.decode().splitlines()
    assert response.status_code == 200
    assert lines[0] == "dimension,key,name,ordered,returned,return_rate,reasons"
    # The order has 3 mugs, a toothbrush and a sale cup; one mug came back.
    assert lines[1:4] == [
        "product,MUG,Mug (MUG),3,1,33.3%,Wrong size: 1",
        "product,BRUSH,Toothbrush (BRUSH),1,0,0.0%,",
        "product,SALE,Sale cup (SALE),1,0,0.0%,",
    ]
    assert "category,,—,5,1,20.0%,Wrong size: 1" in lines
    assert "carrier,inpost,inpost,5,1,20.0%,Wrong size: 1" in lines
    assert not any("Foreign" in line or "B-RET" in line for line in lines)


def test_the_insight_page_shows_rates_and_reasons_of_the_own_shop_only(client, owner, requested, foreign_return):
    client.force_login(owner)

    page = client.get(
        reverse("admin:returns_returnrequest_insight_page"), {"since": "2026-12-31", "until": "2026-11-01"}
    ).content.decode()

    assert "return rate: <strong>20.0%</strong>" in page
    assert "<td>Wrong size</td><td>1</td>" in page
    assert "<td>Mug (MUG)</td><td>3</td><td>1</td><td>33.3%</td>" in page
    assert "Foreign" not in page
    assert 'href="/admin/returns/returnrequest/insight.csv?since=2026-11-01&amp;until=2026-12-31"' in page
    assert reverse("admin:returns_returnrequest_insight_page") in client.get(QUEUE).content.decode()


def test_the_insight_ignores_orders_placed_outside_the_range_and_rejected_returns(client, owner, requested):
    from returns.services import return_reject

    client.force_login(owner)
    before = client.get(reverse("admin:returns_returnrequest_insight"), {"since": "2026-11-21", "until": "2026-12-31"})
    assert before.content.decode().splitlines()[1:] == []

    return_reject(return_request=requested, reason="Used", now=NOW)
    after = client.get(reverse("admin:returns_returnrequest_insight"), {"since": "2026-11-01", "until": "2026-12-31"})
    assert "product,MUG,Mug (MUG),3,0,0.0%," in after.content.decode().splitlines()


def test_the_dashboard_selectors_count_waiting_requests_and_the_rate_per_shop(requested, foreign_return):
    from datetime import date
    from decimal import Decimal

    from returns.selectors import return_rate, returns_waiting_count

    shop = requested.shop

    assert returns_waiting_count(shop_id=shop.pk) == 1
    assert return_rate(shop=shop, start=date(2026, 11, 1), end=date(2026, 11, 30)) == Decimal("0.200")
    assert return_rate(shop=shop, start=date(2026, 12, 1), end=date(2026, 12, 31)) is None
    assert return_rate(shop=foreign_return.shop, start=date(2026, 11, 1), end=date(2026, 12, 31)) == Decimal("1.000")


def test_support_asks_again_for_a_failed_carrier_code_and_a_wrong_state_says_why(
    client, support, delivered_order, return_setup, requested, published, django_capture_on_commit_callbacks
):
    from returns.models import ReturnMethod
    from returns.services import return_approve

    ReturnRequest.objects.filter(pk=requested.pk).update(method=ReturnMethod.INPOST_CODE)
    mug = delivered_order["mug"]
    waiting = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(return_request=ReturnRequest.objects.get(pk=requested.pk), now=NOW)
    ReturnRequest.objects.filter(pk=requested.pk).update(issue_attempts=12, issue_error="InPost Returns answered 503")
    published.clear()
    client.force_login(support)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            QUEUE, {"action": "retry_code", "_selected_action": [requested.pk, waiting.pk], "note": ""}, follow=True
        )

    assert published == [("returns.issue_code", {"return_request_id": requested.pk})]
    assert (
        f"#{waiting.pk}: A return that is requested has no carrier code to ask for again." in response.content.decode()
    )


def test_the_change_page_shows_the_new_facts_read_only(client, owner, requested):
    client.force_login(owner)

    page = client.get(reverse("admin:returns_returnrequest_change", args=[requested.pk])).content.decode()

    assert "Store credit amount" in page and "Dropoff points" in page and "Merchant alerted at" in page
    assert 'name="store_credit_amount"' not in page and 'name="dropoff_points"' not in page
