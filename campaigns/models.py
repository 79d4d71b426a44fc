"""Catalog, recommendation rules, discount-code pools, campaigns, scheduled sends and clicks.

A product's tags are stored normalized as comma-separated text with a leading and trailing comma
(",coffee,tea,"), so "has tag X" is one portable ``LIKE '%,x,%'`` on SQLite and PostgreSQL alike, with
no join table. Audience lists a marketer types (countries, languages, carriers ...) are kept as typed
and read with :func:`text_to_list`.
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from shipments.models import STATUS_CHOICES, Order, StatusChange
from shops.models import LANGUAGE_CHOICES, Shop


def list_to_text(values: list[str] | tuple[str, ...] | set[str]) -> str:
    """Store a list as ",a,b," (lowercased, deduplicated, order kept); empty list → ""."""
    seen: list[str] = []
    for value in values:
        cleaned = value.strip().lower()
        if cleaned and "," not in cleaned and cleaned not in seen:
            seen.append(cleaned)
    return f",{','.join(seen)}," if seen else ""


def text_to_list(text: str) -> list[str]:
    """The inverse of :func:`list_to_text`; also accepts what a person typed ("a, b ,c")."""
    return [part.strip().lower() for part in (text or "").split(",") if part.strip()]


class Product(models.Model):
    """A product of a shop's catalog, the pool recommendations are drawn from."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    url = models.URLField(max_length=500)
    image_url = models.URLField(max_length=500, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    category = models.CharField(max_length=120, blank=True, help_text="One category, e.g. coffee-machines")
    tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated, e.g. espresso, gift")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shop", "sku"]
        constraints = [models.UniqueConstraint(fields=["shop", "sku"], name="product_sku_unique_per_shop")]
        indexes = [models.Index(fields=["shop", "category"], name="product_shop_category")]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # One spelling of categories and tags, so rules and audiences match what marketers typed.
        self.category = self.category.strip().lower()
        self.tags = list_to_text(text_to_list(self.tags))
        super().save(*args, **kwargs)

    @property
    def tag_list(self) -> list[str]:
        return text_to_list(self.tags)


class MatchKind(models.TextChoices):
    SKU = "sku", "Bought SKU"
    CATEGORY = "category", "Bought from category"
    TAG = "tag", "Bought product with tag"
    ANY = "any", "Any order"


class RecommendKind(models.TextChoices):
    SKUS = "skus", "These SKUs"
    CATEGORY = "category", "Products of category"
    TAG = "tag", "Products with tag"
    NOTHING = "nothing", "No products (content link only)"


class RecommendationRule(models.Model):
    """ "Bought X → recommend Y": products and/or a content link, higher priority first."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="recommendation_rules")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    priority = models.IntegerField(default=0, help_text="Higher runs first")
    match_kind = models.CharField(max_length=10, choices=MatchKind.choices, default=MatchKind.SKU)
    match_value = models.CharField(
        max_length=500, blank=True, help_text="SKUs (comma-separated), a category or a tag; empty for any order"
    )
    recommend_kind = models.CharField(max_length=10, choices=RecommendKind.choices, default=RecommendKind.SKUS)
    recommend_value = models.CharField(
        max_length=500, blank=True, help_text="SKUs (comma-separated), a category or a tag"
    )
    link_title = models.CharField(max_length=200, blank=True, help_text='Content to read, e.g. "The espresso guide"')
    link_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shop", "-priority", "pk"]

    def __str__(self) -> str:
        return self.name


class PoolKind(models.TextChoices):
    SHARED = "shared", "One shared code"
    UPLOADED = "uploaded", "Unique codes (uploaded)"
    GENERATED = "generated", "Unique codes (generated)"


class DiscountPool(models.Model):
    """Where a campaign's discount codes come from: one shared code or a stock of unique codes."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="discount_pools")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=PoolKind.choices, default=PoolKind.GENERATED)
    shared_code = models.CharField(max_length=64, blank=True, help_text="Only for a shared-code pool")
    description = models.CharField(max_length=200, blank=True, help_text='Shown beside the code, e.g. "10% off"')
    expires_at = models.DateTimeField(null=True, blank=True, help_text="No codes are given after this")
    valid_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Each allocated code is valid this many days (the earlier end wins)"
    )
    low_stock_threshold = models.PositiveIntegerField(default=50, help_text="Warn when fewer unique codes remain")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shop", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_unique(self) -> bool:
        return self.kind != PoolKind.SHARED


class DiscountCode(models.Model):
    """One unique code in a pool's stock; ``allocated_at`` set once it was given to an order."""

    tenant_path = "pool__shop"

    pool = models.ForeignKey(DiscountPool, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=64)
    allocated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pool", "pk"]
        constraints = [models.UniqueConstraint(fields=["pool", "code"], name="discountcode_unique_per_pool")]
        indexes = [
            # The allocator's query: the free stock of one pool, oldest first.
            models.Index(fields=["pool", "id"], name="discountcode_free", condition=Q(allocated_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.code


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class CampaignKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    DELAY_APOLOGY = "delay_apology", "Delay apology"


class TriggerType(models.TextChoices):
    STATUS_ENTERED = "status_entered", "A parcel enters a status"
    DELAY_AFTER_STATUS = "delay_after_status", "Some time after a parcel enters a status"
    LATE_OR_EXCEPTION = "late_or_exception", "A parcel is late or hits an exception"
    # Published by the feedback app (by task name) when a customer's score makes them a detractor.
    FEEDBACK_DETRACTOR = "feedback_detractor", "A customer gives a detractor score (0-6, or 1-3 stars)"


class CustomerType(models.TextChoices):
    ANY = "any", "Any customer"
    FIRST = "first", "First order"
    REPEAT = "repeat", "Repeat customer"


class PageDiscount(models.TextChoices):
    NONE = "none", "Never show a code on the page"
    EXISTING = "existing", "Show the code this order already got (by email)"
    ALLOCATE = "allocate", "Give a code on the first page view"


class Campaign(models.Model):
    """What to show or send, to whom and when; content lives per variant and language."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, help_text="Used as utm_campaign")
    kind = models.CharField(max_length=16, choices=CampaignKind.choices, default=CampaignKind.STANDARD)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher wins when several campaigns match")
    # A/B split as "A:50, B:50" (key:weight); each order gets one variant, always the same one.
    variants = models.CharField(
        max_length=200, default="A:100", help_text='Variants and weights, e.g. "A:50, B:50"; one variant: "A:100"'
    )

    trigger_type = models.CharField(max_length=20, choices=TriggerType.choices, default=TriggerType.STATUS_ENTERED)
    trigger_status = models.CharField(max_length=24, choices=STATUS_CHOICES, blank=True)
    delay_hours = models.PositiveIntegerField(default=0, help_text="For a delayed trigger, e.g. 72 = three days")

    # Audience: an empty list means "any".
    countries = models.CharField(max_length=200, blank=True, help_text="ISO codes, comma-separated, e.g. PL, CZ")
    languages = models.CharField(max_length=60, blank=True, help_text="e.g. pl, en")
    min_order_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_order_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    product_categories = models.CharField(max_length=500, blank=True, help_text="Order contains a product of these")
    product_tags = models.CharField(max_length=500, blank=True, help_text="Order contains a product with these tags")
    carriers = models.CharField(max_length=200, blank=True, help_text="Carrier codes, e.g. inpost, dpd")
    customer_type = models.CharField(max_length=10, choices=CustomerType.choices, default=CustomerType.ANY)
    require_marketing_consent = models.BooleanField(default=True)

    # Placement.
    send_email = models.BooleanField(default=True)
    show_on_page = models.BooleanField(default=False)
    show_banner = models.BooleanField(default=True)
    show_products = models.BooleanField(default=True)
    max_products = models.PositiveIntegerField(default=4, validators=[MinValueValidator(1)])
    discount_pool = models.ForeignKey(
        DiscountPool, on_delete=models.RESTRICT, null=True, blank=True, related_name="campaigns"
    )
    page_discount = models.CharField(max_length=10, choices=PageDiscount.choices, default=PageDiscount.EXISTING)

    frequency_cap_count = models.PositiveIntegerField(
        default=1, help_text="At most this many campaign emails per customer from this shop ... (0 = no cap)"
    )
    frequency_cap_days = models.PositiveIntegerField(default=7, help_text="... within this many days")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shop", "-priority", "name"]
        constraints = [models.UniqueConstraint(fields=["shop", "slug"], name="campaign_slug_unique_per_shop")]
        indexes = [models.Index(fields=["shop", "status"], name="campaign_shop_status")]

    def __str__(self) -> str:
        return self.name


class CampaignContent(models.Model):
    """What one variant says in one language; the body is Markdown, rendered and sanitized."""

    tenant_path = "campaign__shop"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="contents")
    variant = models.CharField(max_length=16, default="A", help_text="Variant key this content belongs to")
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    subject = models.CharField(max_length=200, blank=True)
    heading = models.CharField(max_length=200, blank=True)
    body_markdown = models.TextField(blank=True, max_length=10000)
    banner_image_url = models.URLField(max_length=500, blank=True)
    banner_link_url = models.URLField(max_length=500, blank=True)
    banner_text = models.CharField(max_length=200, blank=True)
    cta_text = models.CharField(max_length=80, blank=True)
    cta_url = models.URLField(max_length=500, blank=True)

    class Meta:
        verbose_name = "campaign content"
        verbose_name_plural = "campaign content"
        ordering = ["campaign", "variant", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "variant", "language"], name="content_unique_per_variant_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant}/{self.language}: {self.subject or self.heading}"


class DiscountAllocation(models.Model):
    """A code given to an order, at most once per (pool, order); unique codes never twice."""

    tenant_path = "pool__shop"

    pool = models.ForeignKey(DiscountPool, on_delete=models.CASCADE, related_name="allocations")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discount_allocations")
    # Unique pools: the stock row (one allocation per code, enforced by the database); shared: empty.
    discount_code = models.OneToOneField(
        DiscountCode, on_delete=models.RESTRICT, null=True, blank=True, related_name="allocation"
    )
    code = models.CharField(max_length=64)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="allocations")
    variant = models.CharField(max_length=16, blank=True)
    allocated_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-allocated_at"]
        constraints = [models.UniqueConstraint(fields=["pool", "order"], name="allocation_once_per_order")]
        indexes = [
            models.Index(fields=["campaign", "variant"], name="allocation_campaign"),
            models.Index(fields=["pool", "code"], name="allocation_pool_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.order}"


class DiscountRedemption(models.Model):
    """A code used in the shop (reported back by CSV or API), with the revenue it brought."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="discount_redemptions")
    code = models.CharField(max_length=64)
    order_number = models.CharField(max_length=64, help_text="The shop's order in which the code was used")
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    redeemed_at = models.DateTimeField()
    allocation = models.ForeignKey(
        DiscountAllocation, on_delete=models.SET_NULL, null=True, blank=True, related_name="redemptions"
    )
    pool = models.ForeignKey(DiscountPool, on_delete=models.SET_NULL, null=True, blank=True, related_name="redemptions")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="redemptions")
    variant = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-redeemed_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code", "order_number"], name="redemption_once_per_order")
        ]
        indexes = [models.Index(fields=["campaign", "variant"], name="redemption_campaign")]

    def __str__(self) -> str:
        return f"{self.code} in #{self.order_number}"


class CampaignDispatch(models.Model):
    """One campaign email for one order: due now or later, handed to notifications once.

    Immediate sends are recorded already dispatched; delayed ones wait here until ``due_at`` and a
    beat task publishes them. One row per (campaign, order) makes every path idempotent, and the rows
    are what the per-customer frequency cap counts.
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="campaign_dispatches")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dispatches")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="campaign_dispatches")
    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="campaign_dispatches")
    variant = models.CharField(max_length=16)
    customer_email = models.CharField(max_length=254, blank=True)
    due_at = models.DateTimeField()
    # True: handed straight back to the status-change consumer; False: waits for the beat task.
    immediate = models.BooleanField(default=False)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "campaign dispatches"
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="dispatch_once_per_order")]
        indexes = [
            # The beat task's query: pending rows only, in due order — cost per tick is O(due).
            models.Index(
                fields=["due_at"],
                name="dispatch_due",
                condition=Q(dispatched_at__isnull=True, skipped_reason=""),
            ),
            models.Index(fields=["shop", "customer_email", "dispatched_at"], name="dispatch_frequency"),
            models.Index(fields=["campaign", "variant"], name="dispatch_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.order} ({self.variant})"


class ClickSource(models.TextChoices):
    PAGE = "page", "Tracking page"
    EMAIL = "email", "Email"


class Click(models.Model):
    """One visit through the signed redirect: which order, campaign, variant and message."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="clicks")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks")
    variant = models.CharField(max_length=16, blank=True)
    # notifications.Message id; a plain number because campaigns must not depend on notifications.
    message_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=5, choices=ClickSource.choices)
    target_url = models.URLField(max_length=2000)
    clicked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "link click"
        verbose_name_plural = "link clicks"
        ordering = ["-clicked_at"]
        indexes = [
            models.Index(fields=["campaign", "variant"], name="click_campaign"),
            models.Index(fields=["shop", "-clicked_at"], name="click_shop_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.source} click → {self.target_url[:60]}"
