"""What the tracking page records: per-order counters of views and clicks (scores live in the feedback app).

No personal data: counters say how often, never who (no IP, no user agent, no cookie).
"""

from django.db import models

from shipments.models import Order
from shops.models import Shop


class ActivityKind(models.TextChoices):
    VIEW = "view", "Page view"
    CARRIER_LINK = "carrier_link", "Click on the carrier's tracking link"
    SUPPORT_LINK = "support_link", "Click on the support link"


class PageActivity(models.Model):
    """How often one order's tracking page was viewed, or one of its page-only links clicked."""

    tenant_path = "shop"

    # Denormalized from the order so tenant filters and per-shop reports need no join.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="page_activity")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = "tracking page activity"
        verbose_name_plural = "tracking page activity"
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="page_activity_one_row_per_kind")]
        indexes = [models.Index(fields=["shop", "kind", "-last_at"], name="page_activity_shop_recent")]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}: {self.count}"
