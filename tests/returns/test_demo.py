"""The demo seeds return rules, reasons and returns in several states, and its orders can be returned."""

from datetime import UTC, datetime

import pytest

from demo.services import demo_seed
from returns.models import ReturnReason, ReturnRequest, ReturnRule
from returns.rules import item_allowances, return_rule_for, today_for, window_refusal

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_the_demo_seeds_returns_in_different_states_and_a_returnable_order():
    seeded = demo_seed(now=NOW)
    shop = seeded.shop

    states = sorted(ReturnRequest.objects.filter(shop=shop).values_list("state", flat=True))
    assert states == ["approved", "rejected", "requested", "resolved"]
    assert ReturnRequest.objects.get(shop=shop, state="resolved").store_credit_code.startswith("ZWROT-")
    assert ReturnReason.objects.filter(shop=shop).count() == 4
    assert ReturnRule.objects.filter(shop=shop).count() == 2
    fresh = seeded.orders[0]
    rule = return_rule_for(order=fresh)
    assert window_refusal(order=fresh, rule=rule, today=today_for(order=fresh, now=NOW)) == ""
    assert any(allowance.returnable_quantity for allowance in item_allowances(order=fresh, rule=rule))
    assert not ReturnRequest.objects.exclude(shop=shop).exists()
