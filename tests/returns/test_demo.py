"""The demo seeds return rules, reasons and returns in several states, and its orders can be returned."""

from datetime import UTC, datetime

import pytest

from demo.services import demo_seed
from notifications.models import Message
from returns.models import ReturnReason, ReturnRequest, ReturnRule
from returns.rules import item_allowances, return_rule_for, today_for, window_refusal

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_the_demo_seeds_returns_in_different_states_and_a_returnable_order():
    seeded = demo_seed(now=NOW)
    shop = seeded.shop

    states = sorted(ReturnRequest.objects.filter(shop=shop).values_list("state", flat=True))
    assert states == ["approved", "label_issued", "label_issued", "rejected", "requested", "resolved"]
    with_label = ReturnRequest.objects.get(shop=shop, method="label")
    assert with_label.state == "label_issued" and with_label.label_file.read(5) == b"%PDF-"
    credited = ReturnRequest.objects.get(shop=shop, state="resolved")
    assert credited.store_credit_code.startswith("ZWROT-") and credited.store_credit_amount > 0
    with_code = ReturnRequest.objects.get(shop=shop, state="label_issued", method="inpost_code")
    assert (with_code.method, len(with_code.return_code), len(with_code.dropoff_points)) == ("inpost_code", 9, 3)
    assert with_code.dropoff_points[0]["opening_hours"] == "24/7" and with_code.dropoff_points[0]["map_url"]
    assert with_code.return_shipment.direction == "return"
    exchange = ReturnRequest.objects.get(shop=shop, resolution="exchange")
    assert exchange.items.get().exchange_name != ""
    assert Message.objects.filter(shop=shop, trigger_kind="returns_digest").count() == 1
    assert ReturnReason.objects.filter(shop=shop).count() == 4
    assert ReturnRule.objects.filter(shop=shop).count() == 2
    fresh = seeded.orders[0]
    rule = return_rule_for(order=fresh)
    assert window_refusal(order=fresh, rule=rule, today=today_for(order=fresh, now=NOW)) == ""
    assert any(allowance.returnable_quantity for allowance in item_allowances(order=fresh, rule=rule))
    assert not ReturnRequest.objects.exclude(shop=shop).exists()
