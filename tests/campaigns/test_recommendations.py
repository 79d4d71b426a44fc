"""Recommendation rules, exclusions, best-seller fallback, determinism, limits and content links."""

import pytest
from django.core.cache import cache

from campaigns.selectors import recommendations_for_order
from tests.campaigns.factories import ProductFactory, RecommendationRuleFactory
from tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _order_with(shop, *skus):
    order = OrderFactory(shop=shop)
    for sku in skus:
        OrderItemFactory(order=order, sku=sku)
    return order


def test_bought_sku_recommends_listed_skus_in_order(shop):
    ProductFactory(shop=shop, sku="MACHINE", category="machines")
    ProductFactory(shop=shop, sku="BEANS")
    ProductFactory(shop=shop, sku="GRINDER")
    RecommendationRuleFactory(
        shop=shop, match_kind="sku", match_value="MACHINE", recommend_kind="skus", recommend_value="GRINDER, BEANS"
    )
    order = _order_with(shop, "MACHINE")

    recommendation = recommendations_for_order(order=order, limit=4)

    assert [product.sku for product in recommendation.products] == ["GRINDER", "BEANS"]


def test_never_recommends_owned_or_inactive_products(shop):
    ProductFactory(shop=shop, sku="CUP", category="cups")
    ProductFactory(shop=shop, sku="CUP-2", category="cups")
    ProductFactory(shop=shop, sku="CUP-OFF", category="cups", active=False)
    RecommendationRuleFactory(shop=shop, match_kind="any", recommend_kind="category", recommend_value="cups")
    order = _order_with(shop, "CUP")

    recommendation = recommendations_for_order(order=order, limit=5)

    assert [product.sku for product in recommendation.products] == ["CUP-2"]


def test_category_and_tag_rules_match_by_what_the_order_contains(shop):
    ProductFactory(shop=shop, sku="MACHINE", category="machines", tags="espresso")
    ProductFactory(shop=shop, sku="TAMPER", category="tools", tags="barista")
    ProductFactory(shop=shop, sku="MILK", category="tools", tags="")
    RecommendationRuleFactory(
        shop=shop,
        match_kind="tag",
        match_value="espresso",
        recommend_kind="tag",
        recommend_value="barista",
        priority=10,
    )
    RecommendationRuleFactory(
        shop=shop, match_kind="category", match_value="shoes", recommend_kind="skus", recommend_value="MILK"
    )
    order = _order_with(shop, "MACHINE")

    recommendation = recommendations_for_order(order=order, limit=5)

    assert [product.sku for product in recommendation.products] == ["TAMPER"]


def test_higher_priority_rules_come_first_and_limit_is_kept(shop):
    for sku in ("A", "B", "C", "D"):
        ProductFactory(shop=shop, sku=sku)
    RecommendationRuleFactory(shop=shop, match_kind="any", recommend_kind="skus", recommend_value="A,B", priority=1)
    RecommendationRuleFactory(shop=shop, match_kind="any", recommend_kind="skus", recommend_value="C,D", priority=5)
    order = _order_with(shop, "X")

    recommendation = recommendations_for_order(order=order, limit=3)

    assert [product.sku for product in recommendation.products] == ["C", "D", "A"]


def test_falls_back_to_best_sellers_from_the_shops_orders(shop, other_shop):
    for sku in ("POPULAR", "SOMETIMES", "NEVER"):
        ProductFactory(shop=shop, sku=sku)
    ProductFactory(shop=other_shop, sku="FOREIGN")
    OrderItemFactory(order=OrderFactory(shop=shop), sku="POPULAR", quantity=5)
    OrderItemFactory(order=OrderFactory(shop=shop), sku="SOMETIMES", quantity=2)
    OrderItemFactory(order=OrderFactory(shop=other_shop), sku="FOREIGN", quantity=50)
    order = _order_with(shop, "NEVER")

    recommendation = recommendations_for_order(order=order, limit=4)

    # Own item excluded, other shop's sales ignored, catalog-less SKUs ignored.
    assert [product.sku for product in recommendation.products] == ["POPULAR", "SOMETIMES"]


def test_category_picks_are_deterministic_per_order(shop):
    for number in range(12):
        ProductFactory(shop=shop, sku=f"T-{number}", category="tea")
    RecommendationRuleFactory(shop=shop, match_kind="any", recommend_kind="category", recommend_value="tea")
    order = _order_with(shop, "X")

    first = recommendations_for_order(order=order, limit=3)
    again = recommendations_for_order(order=order, limit=3)

    assert [p.sku for p in first.products] == [p.sku for p in again.products]
    assert len(first.products) == 3


def test_content_links_come_from_matching_rules(shop):
    ProductFactory(shop=shop, sku="MACHINE")
    RecommendationRuleFactory(
        shop=shop,
        match_kind="sku",
        match_value="machine",
        recommend_kind="nothing",
        link_title="The espresso guide",
        link_url="https://shop.example/guide",
    )
    RecommendationRuleFactory(
        shop=shop,
        match_kind="sku",
        match_value="OTHER",
        recommend_kind="nothing",
        link_title="Not for you",
        link_url="https://shop.example/no",
    )
    order = _order_with(shop, "MACHINE")

    recommendation = recommendations_for_order(order=order, limit=4)

    assert recommendation.links == (("The espresso guide", "https://shop.example/guide"),)
    assert recommendation.products == ()


def test_inactive_rules_are_ignored(shop):
    ProductFactory(shop=shop, sku="A")
    RecommendationRuleFactory(shop=shop, match_kind="any", recommend_kind="skus", recommend_value="A", active=False)

    recommendation = recommendations_for_order(order=_order_with(shop, "X"), limit=4)

    assert recommendation.products == ()
