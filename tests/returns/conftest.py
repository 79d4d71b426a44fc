"""Fixtures of the returns tests: a shop with reasons and a rule, a delivered order with three lines."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from returns.models import PhotoRule, ReturnReason, ReturnRule, ReturnSettings
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory

# Tuesday 24 November 2026, 10:00 UTC: the order in ``delivered_order`` was delivered on it.
DELIVERED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
POINTS_FIXTURES = Path(__file__).parent.parent / "fixtures" / "carriers" / "inpost"


@pytest.fixture(autouse=True)
def _portal_cache(settings):
    from django.core.cache import cache

    from tracking_portal.pages import local_pages, recent_keys

    # The tracking page also keeps pages in this process, keyed by order: another test's order may share a key.
    for store in (cache, local_pages, recent_keys):
        store.clear()
    yield
    for store in (cache, local_pages, recent_keys):
        store.clear()


@pytest.fixture(autouse=True)
def _inpost_points(monkeypatch):
    """The ShipX points API answers with the recorded nearby lockers (never the network)."""
    import httpx

    from returns import dropoff

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=json.loads((POINTS_FIXTURES / "points_nearby.json").read_text()))

    monkeypatch.setattr(dropoff, "inpost_points_client", lambda: httpx.Client(transport=httpx.MockTransport(answer)))


@pytest.fixture
def return_setup(shop):
    ReturnSettings.objects.create(
        shop=shop,
        country="PL",
        return_address="Sklep, ul. Zwrotna 1, 00-001 Warszawa",
        methods=["inpost_code", "packeta_code", "self_send"],
        packeta_return_code="PKT-RET-77",
    )
    rule = ReturnRule.objects.create(shop=shop, window_days=14, excluded_tags="hygiene", discounted_returnable=False)
    damaged = ReturnReason.objects.create(shop=shop, code="damaged", label="Damaged", photo=PhotoRule.REQUIRED)
    size = ReturnReason.objects.create(shop=shop, code="size", label="Wrong size", photo=PhotoRule.OPTIONAL)
    return {"rule": rule, "damaged": damaged, "size": size}


@pytest.fixture
def delivered_order(shop, return_setup):
    order = OrderFactory(shop=shop, number="PF-RET-1", placed_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    mug = OrderItemFactory(order=order, sku="MUG", name="Mug", quantity=3, unit_price=Decimal("49.00"))
    brush = OrderItemFactory(order=order, sku="BRUSH", name="Toothbrush", quantity=1, tags="hygiene")
    sale = OrderItemFactory(order=order, sku="SALE", name="Sale cup", quantity=1, discounted=True)
    ShipmentFactory(order=order, status="delivered", delivered_at=DELIVERED_AT)
    return {"order": order, "mug": mug, "brush": brush, "sale": sale}
