"""Return rules and reasons per shop, return requests with their items and the timeline of their states."""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipments.models import Order, OrderItem, Shipment
from shops.models import Shop

# 24 random bytes: 192 bits, above the 128 every public token must have.
RETURN_TOKEN_BYTES = 24


def new_return_token() -> str:
    """A URL-safe public token of 192 random bits for a return's confirmation page."""
    return secrets.token_urlsafe(RETURN_TOKEN_BYTES)


class PhotoRule(models.TextChoices):
    OFF = "off", "No photo"
    OPTIONAL = "optional", "Photo optional"
    REQUIRED = "required", "Photo required"


class WindowStart(models.TextChoices):
    DELIVERY = "delivery", "From delivery"
    ORDER = "order", "From the order date"


class ReturnState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    LABEL_ISSUED = "label_issued", "Code or label issued"
    IN_TRANSIT = "in_transit", "On its way back"
    RECEIVED = "received", "Received at the shop"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund"
    EXCHANGE = "exchange", "Exchange"
    STORE_CREDIT = "store_credit", "Store credit"


class ReturnMethod(models.TextChoices):
    INPOST_CODE = "inpost_code", "InPost return code"
    PACKETA_CODE = "packeta_code", "Packeta return code"
    SELF_SEND = "self_send", "Send it yourself"
    LABEL = "label", "Printable label"


class ReturnSettings(models.Model):
    """A shop's return address and the return methods it offers."""

    tenant_path = "shop"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="return_settings")
    country = models.CharField(max_length=2, default="PL", help_text="Whose working days move a deadline")
    return_address = models.TextField(blank=True, help_text="Where customers who send it themselves post parcels")
    methods = models.JSONField(default=list, blank=True, help_text='Offered methods, e.g. ["inpost_code"]')
    packeta_return_code = models.CharField(max_length=40, blank=True, help_text="The shop's fixed Packeta code")
    store_credit_pool = models.ForeignKey(
        "campaigns.DiscountPool",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Unique codes given as store credit",
    )
    store_credit_bonus_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Store credit above the returned items' value, e.g. 10 gives 110%",
    )

    class Meta:
        verbose_name_plural = "return settings"

    def __str__(self) -> str:
        return f"Return settings of {self.shop}"


class ReturnReason(models.Model):
    """A reason the customer may pick, and whether it asks for a photo."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="return_reasons")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    photo = models.CharField(max_length=10, choices=PhotoRule.choices, default=PhotoRule.OFF)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["shop", "code"], name="returnreason_unique_code")]

    def __str__(self) -> str:
        return self.label


class ReturnRule(models.Model):
    """What may be returned to a shop from a destination country (blank: any country), within which window."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="return_rules")
    destination_country = models.CharField(max_length=2, blank=True, help_text="ISO code; blank for any country")
    window_days = models.PositiveSmallIntegerField(default=14, help_text="Calendar days; 0 means no returns")
    window_start = models.CharField(max_length=10, choices=WindowStart.choices, default=WindowStart.DELIVERY)
    excluded_categories = models.CharField(max_length=500, blank=True, help_text="Comma-separated")
    excluded_tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated")
    discounted_returnable = models.BooleanField(default=True)
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    auto_approve = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "destination_country"], name="returnrule_unique_country")
        ]

    def __str__(self) -> str:
        return f"{self.destination_country or 'any'}: {self.window_days} days"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.destination_country = self.destination_country.strip().upper()
        self.excluded_categories = _normalized_list(self.excluded_categories)
        self.excluded_tags = _normalized_list(self.excluded_tags)
        super().save(*args, **kwargs)

    @property
    def excluded_category_list(self) -> list[str]:
        return [value for value in self.excluded_categories.split(",") if value]

    @property
    def excluded_tag_list(self) -> list[str]:
        return [value for value in self.excluded_tags.split(",") if value]


def _normalized_list(text: str) -> str:
    return ",".join(dict.fromkeys(value.strip().lower() for value in text.split(",") if value.strip()))


class ReturnRequest(models.Model):
    """A customer's return of some items of one order, moving through the lifecycle in ``returns.lifecycle``."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="return_requests")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="return_requests")
    public_token = models.CharField(max_length=64, unique=True, default=new_return_token, editable=False)
    state = models.CharField(max_length=16, choices=ReturnState.choices, default=ReturnState.REQUESTED)
    resolution = models.CharField(max_length=16, choices=Resolution.choices)
    method = models.CharField(max_length=16, choices=ReturnMethod.choices)
    customer_note = models.TextField(blank=True, max_length=2000)
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="PLN")
    deadline = models.DateField(help_text="The last day a return could be asked for")
    rejection_reason = models.CharField(max_length=500, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True, help_text="Refund reference, exchange details")
    store_credit_code = models.CharField(max_length=64, blank=True)
    # What the carrier gave (or the shop's fixed code); filled when the code is issued.
    return_code = models.CharField(max_length=64, blank=True)
    label_url = models.URLField(blank=True, max_length=500)
    # The shop's uploaded label PDF (random name, served only through the return's token page, never as media).
    label_file = models.FileField(upload_to="returns/labels/", blank=True, max_length=200)
    return_tracking_number = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    return_shipment = models.ForeignKey(
        Shipment, on_delete=models.SET_NULL, null=True, blank=True, related_name="return_requests"
    )
    # The carrier's drop-off points nearest to the customer, fetched when the code is issued (no fetch per page view).
    dropoff_points = models.JSONField(default=list, blank=True)
    store_credit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # When the shop was told (digest) that this request waits for its approval.
    merchant_alerted_at = models.DateTimeField(null=True, blank=True)
    issue_attempts = models.PositiveSmallIntegerField(default=0)
    issue_error = models.CharField(max_length=500, blank=True)
    state_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["shop", "state", "created_at"], name="returnrequest_queue")]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order.number}"


class ReturnItem(models.Model):
    """One order line (some of its quantity) in a return, with the customer's reason and photo."""

    tenant_path = "return_request__shop"

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="items")
    # Re-ingesting an order replaces its items; the return keeps what was returned by name and SKU.
    order_item = models.ForeignKey(OrderItem, on_delete=models.SET_NULL, null=True, related_name="return_items")
    sku = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    received_quantity = models.PositiveIntegerField(default=0)
    reason = models.ForeignKey(ReturnReason, on_delete=models.RESTRICT, related_name="items")
    photo = models.ImageField(upload_to="returns/photos/", blank=True)
    # The catalog product (another size, colour or model) the customer wants instead, copied by SKU and name.
    exchange_sku = models.CharField(max_length=64, blank=True)
    exchange_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class ReturnTransition(models.Model):
    """One step of a return's timeline: who moved it, from which state to which, and why."""

    tenant_path = "return_request__shop"

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=ReturnState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ReturnState.choices)
    note = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            # Each state is entered once, so its email and webhook happen once.
            models.UniqueConstraint(fields=["return_request", "to_state"], name="returntransition_once")
        ]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"


class ReturnDigest(models.Model):
    """One email telling a shop which return requests wait for its approval; each request is in one digest."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    request_count = models.PositiveIntegerField()
    waiting_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"returns digest {self.shop_id} {self.sent_at:%Y-%m-%d %H:%M}"
