"""Shared fixtures of the feedback tests: a delivered order and its score-link token."""

import pytest
from django.core.cache import cache

from shipments.links import feedback_token
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def delivered_order(shop):
    order = OrderFactory(shop=shop, number="ZI-1001", customer_email="anna@example.com", locale="pl")
    OrderItemFactory(order=order, name="Kawa 250 g", category="coffee")
    ShipmentFactory(order=order, carrier="inpost", status="delivered")
    return order


@pytest.fixture
def token(delivered_order):
    return feedback_token(order_id=delivered_order.pk)
