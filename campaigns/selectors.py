"""Reads of the campaigns app: variants, audiences, recommendations, pools, campaign lookups."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignStatus,
    CustomerType,
    DiscountAllocation,
    DiscountCode,
    DiscountPool,
    DiscountRedemption,
    MatchKind,
    PoolKind,
    Product,
    RecommendationRule,
    RecommendKind,
    text_to_list,
)
from shipments.lateness import Against
from shipments.models import Order, OrderItem, Shipment

BEST_SELLERS_DAYS = 90
BEST_SELLERS_CACHE_SECONDS = 15 * 60
BEST_SELLERS_SIZE = 50
DEFAULT_VARIANT = "A"
# What a late-parcel campaign counts as late: past the carrier's current window or the shop's promise.
LATE_AGAINST = (Against.CURRENT_ETA, Against.PROMISED)


# --- A/B variants -----------------------------------------------------------------------------


def parse_variants(text: str) -> list[tuple[str, int]]:
    """``"A:50, B:50"`` → ``[("A", 50), ("B", 50)]``; raises ValueError with a readable message."""
    variants: list[tuple[str, int]] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, _, weight = part.partition(":")
        key = key.strip()
        if not key or len(key) > 16 or not key.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{part!r}: a variant key is 1 to 16 letters or digits, e.g. A")
        try:
            weight_value = int(weight.strip()) if weight.strip() else 1
        except ValueError:
            raise ValueError(f"{part!r}: the weight after ':' must be a whole number") from None
        if weight_value < 0:
            raise ValueError(f"{part!r}: a weight cannot be negative")
        if key in {existing for existing, _ in variants}:
            raise ValueError(f"variant {key!r} is listed twice")
        variants.append((key, weight_value))
    if not variants:
        return [(DEFAULT_VARIANT, 100)]
    if sum(weight for _, weight in variants) <= 0:
        raise ValueError("at least one variant needs a weight above 0")
    return variants


def variant_keys(campaign: Campaign) -> list[str]:
    """The campaign's variant keys in the order the marketer listed them."""
    try:
        return [key for key, _ in parse_variants(campaign.variants)]
    except ValueError:
        return [DEFAULT_VARIANT]


def variant_for_order(*, campaign: Campaign, order_id: int) -> str:
    """The variant ``order_id`` gets in ``campaign``: a hash of both ids against the weights.

    Deterministic (page, emails and retries agree without storing anything) and independent per
    campaign (an order in variant B of one test is not always B of the next).
    """
    try:
        variants = parse_variants(campaign.variants)
    except ValueError:
        return DEFAULT_VARIANT
    total = sum(weight for _, weight in variants)
    digest = hashlib.sha256(f"{campaign.pk}:{order_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for key, weight in variants:
        if point < weight:
            return key
        point -= weight
    return variants[-1][0]


# --- Campaign lookups -------------------------------------------------------------------------


def campaigns_live(*, shop_id: int, now: datetime | None = None) -> QuerySet[Campaign]:
    """Active campaigns of a shop inside their window, highest priority first."""
    now = now or timezone.now()
    return (
        Campaign.objects.filter(shop_id=shop_id, status=CampaignStatus.ACTIVE)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("discount_pool")
        .prefetch_related("contents")
        .order_by("-priority", "pk")
    )


def campaign_is_live(campaign: Campaign, *, now: datetime | None = None) -> bool:
    """Whether ``campaign`` is active and inside its window at ``now``."""
    now = now or timezone.now()
    return (
        campaign.status == CampaignStatus.ACTIVE
        and (campaign.starts_at is None or campaign.starts_at <= now)
        and (campaign.ends_at is None or campaign.ends_at > now)
    )


# --- Facts about an order, computed once and only when a rule or audience needs them -------------


class OrderFacts:
    """What audiences and recommendation rules ask about one order, each fact fetched at most once.

    Uses the order's prefetched items and shipments when the caller (the tracking page) has them.
    """

    def __init__(self, order: Order, *, shipment: Shipment | None = None) -> None:
        self.order = order
        self.shipment = shipment

    @cached_property
    def items(self) -> list[OrderItem]:
        return list(self.order.items.all())

    @cached_property
    def shipments(self) -> list[Shipment]:
        return list(self.order.shipments.all())

    @cached_property
    def skus(self) -> set[str]:
        return {item.sku for item in self.items if item.sku}

    @cached_property
    def catalog_products(self) -> list[Product]:
        if not self.skus:
            return []
        return list(Product.objects.filter(shop_id=self.order.shop_id, sku__in=self.skus))

    @cached_property
    def categories(self) -> set[str]:
        return {product.category for product in self.catalog_products if product.category}

    @cached_property
    def tags(self) -> set[str]:
        return {tag for product in self.catalog_products for tag in product.tag_list}

    @cached_property
    def carriers(self) -> set[str]:
        if self.shipment is not None:
            return {self.shipment.carrier}
        return {shipment.carrier for shipment in self.shipments}

    @cached_property
    def is_first_order(self) -> bool:
        email = self.order.customer_email
        if not email:
            return True
        return not (
            Order.objects.filter(shop_id=self.order.shop_id, customer_email__iexact=email)
            .filter(Q(placed_at__lt=self.order.placed_at) | Q(placed_at=self.order.placed_at, pk__lt=self.order.pk))
            .exists()
        )

    @property
    def language(self) -> str:
        return self.order.effective_locale


def audience_mismatch(campaign: Campaign, facts: OrderFacts) -> str | None:
    """Why the order is outside the campaign's audience, or None when it is inside."""
    order = facts.order
    if campaign.require_marketing_consent and not order.email_marketing_consent:
        return "no marketing consent"
    countries = text_to_list(campaign.countries)
    if countries and order.shipping_country.lower() not in countries:
        return f"country {order.shipping_country or '?'} not in {', '.join(c.upper() for c in countries)}"
    languages = text_to_list(campaign.languages)
    if languages and facts.language not in languages:
        return f"language {facts.language} not in {', '.join(languages)}"
    if campaign.min_order_value is not None and order.total_amount < campaign.min_order_value:
        return f"order value {order.total_amount} below {campaign.min_order_value}"
    if campaign.max_order_value is not None and order.total_amount > campaign.max_order_value:
        return f"order value {order.total_amount} above {campaign.max_order_value}"
    carriers = text_to_list(campaign.carriers)
    if carriers and not facts.carriers & set(carriers):
        return f"carrier {', '.join(sorted(facts.carriers)) or '?'} not in {', '.join(carriers)}"
    categories = text_to_list(campaign.product_categories)
    if categories and not facts.categories & set(categories):
        return "no product of the chosen categories in the order"
    tags = text_to_list(campaign.product_tags)
    if tags and not facts.tags & set(tags):
        return "no product with the chosen tags in the order"
    if campaign.customer_type == CustomerType.FIRST and not facts.is_first_order:
        return "not the customer's first order"
    if campaign.customer_type == CustomerType.REPEAT and facts.is_first_order:
        return "the customer's first order"
    return None


# --- Recommendations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    """Products (catalog rows, best first) and content links (title, url) for one order."""

    products: tuple[Product, ...]
    links: tuple[tuple[str, str], ...]


def _order_rank(order_id: int, sku: str) -> bytes:
    # A stable shuffle per order: different orders see different products of a category, one order
    # always the same ones (the page and the email agree, and a reload does not reshuffle).
    return hashlib.sha256(f"{order_id}:{sku}".encode()).digest()


def _rule_matches(rule: RecommendationRule, facts: OrderFacts) -> bool:
    values = set(text_to_list(rule.match_value))
    if rule.match_kind == MatchKind.ANY:
        return True
    if rule.match_kind == MatchKind.SKU:
        return bool({sku.lower() for sku in facts.skus} & values)
    if rule.match_kind == MatchKind.CATEGORY:
        return bool(facts.categories & values)
    if rule.match_kind == MatchKind.TAG:
        return bool(facts.tags & values)
    return False


def best_seller_skus(*, shop_id: int) -> list[str]:
    """The shop's most sold SKUs of the last 90 days by quantity (cached per shop for 15 minutes)."""
    key = f"campaigns:bestsellers:{shop_id}"
    skus = cache.get(key)
    if skus is None:
        since = timezone.now() - timedelta(days=BEST_SELLERS_DAYS)
        rows = (
            OrderItem.objects.filter(order__shop_id=shop_id, order__placed_at__gte=since)
            .exclude(sku="")
            .values("sku")
            .annotate(sold=Sum("quantity"))
            .order_by("-sold", "sku")[:BEST_SELLERS_SIZE]
        )
        skus = [row["sku"] for row in rows]
        cache.set(key, skus, BEST_SELLERS_CACHE_SECONDS)
    return skus


@dataclass(frozen=True)
class ShopCatalog:
    """What any order of one shop is recommended from: its active rules (by priority) and best-selling products."""

    rules: list[RecommendationRule]
    best_sellers: list[Product]


def shop_catalogs(*, shop_ids: Iterable[int]) -> dict[int, ShopCatalog]:
    """Each shop's :class:`ShopCatalog`, in two queries for all the shops (rules, products; best sellers cached)."""
    rules: dict[int, list[RecommendationRule]] = {shop_id: [] for shop_id in shop_ids}
    for rule in RecommendationRule.objects.filter(shop_id__in=list(rules), active=True).order_by("-priority", "pk"):
        rules[rule.shop_id].append(rule)
    best = {shop_id: best_seller_skus(shop_id=shop_id) for shop_id in rules}
    wanted = Q()
    for shop_id, skus in best.items():
        if skus:
            wanted |= Q(shop_id=shop_id, sku__in=skus)
    products = {(p.shop_id, p.sku): p for p in Product.objects.filter(wanted, active=True)} if wanted else {}
    return {
        shop_id: ShopCatalog(
            rules=rules[shop_id],
            best_sellers=[products[(shop_id, sku)] for sku in best[shop_id] if (shop_id, sku) in products],
        )
        for shop_id in rules
    }


def recommendations_for_order(
    *,
    order: Order,
    limit: int,
    facts: OrderFacts | None = None,
    catalog: ShopCatalog | None = None,
) -> Recommendation:
    """Up to ``limit`` active catalog products for ``order`` plus content links.

    Rules run by priority; their products come first, then the shop's best sellers fill up.
    Never a product the order contains, never an inactive one; the same order always gets the
    same answer. At most four queries: the order's catalog rows, candidates, and the shop's catalog
    (rules, then best-selling products; none when the caller read it for many orders with ``shop_catalogs``).
    """
    facts = facts or OrderFacts(order)
    owned = {sku.lower() for sku in facts.skus}
    if catalog is None:
        catalog = shop_catalogs(shop_ids=[order.shop_id])[order.shop_id]
    rules = [rule for rule in catalog.rules if _rule_matches(rule, facts)]
    links: list[tuple[str, str]] = []
    for rule in rules:
        if rule.link_title and rule.link_url and (rule.link_title, rule.link_url) not in links:
            links.append((rule.link_title, rule.link_url))

    wanted_skus = [sku for rule in rules if rule.recommend_kind == RecommendKind.SKUS for sku in _raw_list(rule)]
    categories = {v for rule in rules if rule.recommend_kind == RecommendKind.CATEGORY for v in _values(rule)}
    tags = {v for rule in rules if rule.recommend_kind == RecommendKind.TAG for v in _values(rule)}
    candidates: dict[str, Product] = {}
    if limit > 0 and (wanted_skus or categories or tags):
        condition = Q(sku__in=wanted_skus) | Q(category__in=categories)
        for tag in tags:
            condition |= Q(tags__contains=f",{tag},")
        for product in Product.objects.filter(condition, shop_id=order.shop_id, active=True):
            candidates[product.sku] = product

    chosen: list[Product] = []

    def take(products: Iterable[Product]) -> None:
        for product in products:
            if len(chosen) >= limit:
                return
            if product.sku.lower() not in owned and product not in chosen:
                chosen.append(product)

    for rule in rules:
        if rule.recommend_kind == RecommendKind.SKUS:
            take(candidates[sku] for sku in _raw_list(rule) if sku in candidates)
        elif rule.recommend_kind in (RecommendKind.CATEGORY, RecommendKind.TAG):
            values = set(_values(rule))
            matching = [product for product in candidates.values() if _product_fits(rule, values, product)]
            take(sorted(matching, key=lambda product: _order_rank(order.pk, product.sku)))

    if len(chosen) < limit:
        take(catalog.best_sellers)
    return Recommendation(products=tuple(chosen), links=tuple(links))


def _product_fits(rule: RecommendationRule, values: set[str], product: Product) -> bool:
    if rule.recommend_kind == RecommendKind.CATEGORY:
        return product.category in values
    return bool(values & set(product.tag_list))


def _values(rule: RecommendationRule) -> list[str]:
    return text_to_list(rule.recommend_value)


def _raw_list(rule: RecommendationRule) -> list[str]:
    # SKUs keep their case: they are matched exactly against the catalog.
    return [part.strip() for part in rule.recommend_value.split(",") if part.strip()]


# --- Discount pools ---------------------------------------------------------------------------


def pool_remaining(*, pool: DiscountPool) -> int | None:
    """Unallocated unique codes left in ``pool``; None for a shared-code pool (never runs out)."""
    if not pool.is_unique:
        return None
    return DiscountCode.objects.filter(pool=pool, allocated_at__isnull=True).count()


def pool_is_low(*, pool: DiscountPool, remaining: int | None = None) -> bool:
    """Whether a unique pool has fewer free codes than its warning threshold."""
    remaining = pool_remaining(pool=pool) if remaining is None else remaining
    return remaining is not None and remaining < pool.low_stock_threshold


def pools_with_stock(pools: QuerySet[DiscountPool]) -> QuerySet[DiscountPool]:
    """``pools`` with ``free_codes`` (unallocated unique codes) and ``allocated`` (orders given a code)."""
    # Two independent subqueries: joining codes and allocations together would multiply the rows.
    free = (
        DiscountCode.objects.filter(pool=OuterRef("pk"), allocated_at__isnull=True)
        .order_by()
        .values("pool")
        .annotate(n=Count("pk"))
        .values("n")
    )
    given = (
        DiscountAllocation.objects.filter(pool=OuterRef("pk"))
        .order_by()
        .values("pool")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return pools.annotate(
        free_codes=Coalesce(Subquery(free, output_field=IntegerField()), 0),
        allocated=Coalesce(Subquery(given, output_field=IntegerField()), 0),
    )


def pools_running_low(*, shop_ids: Iterable[int] | None) -> list[tuple[DiscountPool, int]]:
    """Unique pools (of the given shops; None = all) below their threshold, with what is left."""
    pools = DiscountPool.objects.exclude(kind=PoolKind.SHARED).select_related("shop")
    if shop_ids is not None:
        pools = pools.filter(shop_id__in=list(shop_ids))
    return [
        (pool, pool.free_codes)  # type: ignore[attr-defined]
        for pool in pools_with_stock(pools)
        if pool_is_low(pool=pool, remaining=pool.free_codes)  # type: ignore[attr-defined]
    ]


def campaign_revenue(*, shop_id: int, since: datetime) -> dict[str, Decimal]:
    """Revenue of orders that used a campaign's discount code since ``since``, per currency (the dashboard's tile)."""
    rows = (
        DiscountRedemption.objects.filter(shop_id=shop_id, campaign__isnull=False, redeemed_at__gte=since)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"] or "": row["total"] for row in rows}
