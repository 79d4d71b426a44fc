"""Orders, their shipments, what carriers said about them, and the status-change outbox."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from carriers.types import Status
from shops.models import LANGUAGE_CHOICES, Shop

STATUS_CHOICES = [(status.value, status.value.replace("_", " ").capitalize()) for status in Status]
PUBLIC_TOKEN_BYTES = 24  # 192 bits: unguessable, and short enough for an SMS link


def new_public_token() -> str:
    """A URL-safe public token of 192 random bits for /t/<token>."""
    return secrets.token_urlsafe(PUBLIC_TOKEN_BYTES)


class Order(models.Model):
    """A customer's order in one shop; the unit the tracking page shows."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=64)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    customer_phone = models.CharField(max_length=40, blank=True)
    shipping_city = models.CharField(max_length=120, blank=True)
    shipping_postcode = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, e.g. PL")
    locale = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, blank=True)
    # Consent per channel (Polish law since 10 Nov 2024: promotional SMS need their own), each with when given.
    email_marketing_consent = models.BooleanField(default=False)
    email_marketing_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    sms_marketing_consent = models.BooleanField(default=False)
    sms_marketing_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    currency = models.CharField(max_length=3, default="PLN")
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_method = models.CharField(max_length=120, blank=True)
    placed_at = models.DateTimeField()
    promised_delivery_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every write that changes what the tracking page shows; caches key on it.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="order_number_unique_per_shop")]
        indexes = [
            models.Index(fields=["shop", "-placed_at"], name="order_shop_recent"),
            models.Index(fields=["shop", "customer_email"], name="order_shop_email"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Each consent carries when it was given; withdrawing it clears the moment.
        for channel in ("email", "sms"):
            given, stamp = f"{channel}_marketing_consent", f"{channel}_marketing_consent_at"
            if not getattr(self, given):
                setattr(self, stamp, None)
            elif getattr(self, stamp) is None:
                setattr(self, stamp, timezone.now())
        super().save(*args, **kwargs)

    @property
    def effective_locale(self) -> str:
        return self.locale or self.shop.locale


class OrderItem(models.Model):
    """One line of an order, shown on the tracking page and used for recommendations."""

    tenant_path = "order__shop"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    image_url = models.URLField(blank=True, max_length=500)
    product_url = models.URLField(blank=True, max_length=500)
    # Copied from the shop's catalog at ingestion, so return rules can exclude by them without the catalog.
    category = models.CharField(max_length=120, blank=True)
    tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated, e.g. hygiene, final-sale")
    discounted = models.BooleanField(default=False, help_text="Sold at a reduced price")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"

    def clean(self) -> None:
        # One spelling, as the catalog stores it, so rules match what the shop typed.
        self.category = self.category.strip().lower()
        self.tags = ",".join(dict.fromkeys(tag.strip().lower() for tag in self.tags.split(",") if tag.strip()))

    @property
    def tag_list(self) -> list[str]:
        """The item's tags, normalized."""
        return [tag for tag in self.tags.split(",") if tag]


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "To the customer"
    RETURN = "return", "Return to the shop"


class Source(models.TextChoices):
    POLL = "poll", "Carrier poll"
    PUSH = "push", "Carrier push"
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "Imported"


class Shipment(models.Model):
    """One parcel of an order with one carrier: its current status and polling schedule."""

    tenant_path = "shop"

    # Denormalized from the order so tenant filters and dispatch never need a join.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shipments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=32, db_index=True)
    carrier_confidence = models.FloatField(null=True, blank=True, help_text="Detection confidence when guessed")
    tracking_number = models.CharField(max_length=64)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    service = models.CharField(max_length=120, blank=True)

    status = models.CharField(max_length=24, choices=STATUS_CHOICES, default=Status.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    eta_from = models.DateTimeField(null=True, blank=True)
    eta_to = models.DateTimeField(null=True, blank=True)
    # The carrier's first delivery window, set once and never moved: "later than first announced"
    # cannot be rebuilt once the ETA has been overwritten (see shipments.lateness).
    first_eta_from = models.DateTimeField(null=True, blank=True, editable=False)
    first_eta_to = models.DateTimeField(null=True, blank=True, editable=False)
    pickup_point = models.JSONField(null=True, blank=True)
    proof_of_delivery = models.JSONField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    poll_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=24, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Failed polls in a row; drives the error back-off and resets on the next good answer.
    poll_errors = models.PositiveIntegerField(default=0)
    # Newest carrier event time; "idle" parcels (no news for days) are polled less often.
    last_event_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "carrier", "tracking_number"], name="shipment_unique_number_per_order"
            ),
        ]
        indexes = [
            # The dispatcher's hot query: due rows only, in due order (final parcels have no due time).
            models.Index(fields=["next_poll_at"], name="shipment_due", condition=Q(next_poll_at__isnull=False)),
            models.Index(fields=["carrier", "tracking_number"], name="shipment_carrier_number"),
            models.Index(fields=["shop", "status"], name="shipment_shop_status"),
            models.Index(fields=["shop", "-updated_at"], name="shipment_shop_updated"),
            # Open parcels by ETA end (``shipments.lateness.late_shipments_q``; finished parcels never count).
            models.Index(
                fields=["shop", "eta_to"],
                name="shipment_open_eta",
                condition=Q(eta_to__isnull=False)
                & ~Q(status__in=["delivered", "returned_to_sender", "cancelled", "expired"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class TrackingEvent(models.Model):
    """One carrier event, normalized beside the carrier's raw code and verbatim text."""

    tenant_path = "shipment__shop"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=24, choices=STATUS_CHOICES, blank=True, help_text="Empty when unmapped")
    reason = models.CharField(max_length=40, blank=True)
    raw_code = models.CharField(max_length=120, blank=True)
    text = models.TextField(blank=True, help_text="The carrier's own words, shown verbatim")
    location = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.POLL)
    mapped = models.BooleanField(default=True)
    dedupe_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="event_unique_per_shipment"),
        ]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="event_shipment_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.raw_code} {self.text[:40]}"


class StatusChange(models.Model):
    """The outbox: one row per status transition, written in the same transaction as the change."""

    tenant_path = "shipment__shop"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    to_status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    reason = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(help_text="When the carrier says it happened")
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweeper's query: unprocessed rows only.
            models.Index(
                fields=["created_at"], name="statuschange_unprocessed", condition=Q(processed_at__isnull=True)
            ),
            models.Index(fields=["shipment", "created_at"], name="statuschange_shipment"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment}: {self.from_status} → {self.to_status}"

    @property
    def reason_only(self) -> bool:
        """Whether only the reason moved (a customs hold, a delay) while the status stayed."""
        return self.from_status == self.to_status


class CarrierAccount(models.Model):
    """A shop's own credentials for one carrier, its push secret, and that carrier's health for the shop.

    Created on the first poll when missing (with no credentials: the deployment's env credentials
    are used), so health and an auth pause exist for every (shop, carrier) that is polled.
    Secrets are write-only in the admin.
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="carrier_accounts")
    carrier = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True, help_text="Off: this shop's parcels of this carrier are not polled")
    api_key = models.CharField(max_length=500, blank=True)
    username = models.CharField(max_length=200, blank=True)
    password = models.CharField(max_length=500, blank=True)
    account_number = models.CharField(max_length=100, blank=True)
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Signs carrier pushes to /webhooks/carriers/<carrier>/<shop>/"
    )

    paused_until = models.DateTimeField(null=True, blank=True)
    last_auth_error = models.TextField(blank=True)
    last_auth_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    success_count = models.PositiveBigIntegerField(default=0)
    error_count = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=24, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shop_id", "carrier"]
        constraints = [models.UniqueConstraint(fields=["shop", "carrier"], name="carrier_account_unique_per_shop")]

    def __str__(self) -> str:
        return f"{self.carrier} for {self.shop_id}"

    @property
    def has_credentials(self) -> bool:
        """True when this shop overrides the deployment's credentials for the carrier."""
        return bool(self.api_key or self.username or self.password or self.account_number)


class UnmappedCode(models.Model):
    """A raw carrier code no adapter mapping knows, counted so the mapping can be completed.

    Not tenant data (codes are the carrier's, the example text is the carrier's wording); only
    superusers see it in the admin. ``tenant_path`` is None, so the tenant-scoped admin refuses to
    scope it and the admin class limits it to superusers.
    """

    tenant_path = None

    carrier = models.CharField(max_length=32)
    raw_code = models.CharField(max_length=120)
    example_text = models.TextField(blank=True)
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = "unmapped carrier code"
        verbose_name_plural = "unmapped carrier codes"
        ordering = ["-count"]
        constraints = [models.UniqueConstraint(fields=["carrier", "raw_code"], name="unmapped_code_unique")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.raw_code}"


# Histogram buckets: business days 0 .. LANE_HISTOGRAM_TOP - 1, and the last one for "that many or more".
LANE_HISTOGRAM_TOP = 30


def empty_lane_histogram() -> list[int]:
    """Counts per business day 0..29 plus one bucket for 30 or more."""
    return [0] * (LANE_HISTOGRAM_TOP + 1)


class LaneStats(models.Model):
    """Delivery statistics of one lane (carrier x service x destination country) of one shop, in business days.

    Kept incrementally as parcels are delivered (``shipments.lanes``); percentiles come from the
    histograms, so readers never scan shipments.
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="lane_stats")
    carrier = models.CharField(max_length=32)
    service = models.CharField(max_length=120, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    delivered_count = models.PositiveIntegerField(default=0)
    transit_histogram = models.JSONField(
        default=empty_lane_histogram, help_text="Deliveries per business days from first scan to delivery"
    )
    scan_gap_histogram = models.JSONField(
        default=empty_lane_histogram, help_text="Deliveries per longest business-day gap between two scans"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "lane statistics"
        verbose_name_plural = "lane statistics"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "carrier", "service", "destination_country"], name="lane_stats_unique_lane"
            )
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.service or '-'} to {self.destination_country or '?'}"


class LaneDelivery(models.Model):
    """A delivered shipment counted in its lane's statistics; the shipment is the key, so it counts once."""

    tenant_path = "shipment__shop"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, primary_key=True, related_name="lane_delivery")
    lane_stats = models.ForeignKey(LaneStats, on_delete=models.CASCADE, related_name="deliveries")
    transit_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty when no scan preceded it")
    scan_gap_days = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "lane deliveries"

    def __str__(self) -> str:
        return f"{self.shipment} in {self.lane_stats}"
