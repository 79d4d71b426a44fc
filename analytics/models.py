"""Delivery analytics: one fact row per outbound parcel, daily roll-ups per lane, SLA targets and breaches.

Readers (the dashboard, the analytics page, the API, SLA checks) read ``DailyRollup`` only; a roll-up
row is recomputed from its lane-day's facts whenever one of them changes (``analytics.rollups``).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipments.models import LANE_HISTOGRAM_TOP, Shipment
from shops.models import Shop


def empty_histogram() -> list[int]:
    """Counts per business day 0..29 plus one bucket for 30 or more (the lanes' buckets)."""
    return [0] * (LANE_HISTOGRAM_TOP + 1)


class ShipmentFact(models.Model):
    """What one outbound parcel counts for in the roll-ups, derived from its stored events; keyed by the parcel.

    ``shipped_on`` is the local day the order was placed (the cohort day); ``delivered_on`` the local
    day of delivery. Durations are business days of the destination country with the carrier's
    Saturday rule (``shops.calendar``), so order->pickup + pickup->delivery == order->delivery.
    """

    tenant_path = "shop"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, primary_key=True, related_name="fact")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shipment_facts")
    carrier = models.CharField(max_length=32)
    service = models.CharField(max_length=120, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    shipped_on = models.DateField()
    delivered_on = models.DateField(null=True, blank=True)
    delivered = models.BooleanField(default=False)
    on_time_first_estimate = models.BooleanField(null=True, blank=True, help_text="Empty: no first estimate")
    on_time_promised = models.BooleanField(null=True, blank=True, help_text="Empty: nothing was promised")
    first_attempt = models.BooleanField(null=True, blank=True, help_text="Delivered without a failed attempt")
    order_to_pickup_days = models.PositiveSmallIntegerField(null=True, blank=True)
    pickup_to_delivery_days = models.PositiveSmallIntegerField(null=True, blank=True)
    order_to_delivery_days = models.PositiveSmallIntegerField(null=True, blank=True)
    had_exception = models.BooleanField(default=False)
    expired = models.BooleanField(default=False)
    returned = models.BooleanField(default=False, help_text="Returning or returned to the sender")
    in_flight = models.BooleanField(default=False, help_text="Still on its way to the customer")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["shop", "carrier", "service", "destination_country", "shipped_on"], name="fact_lane_shipped"
            ),
            models.Index(
                fields=["shop", "carrier", "service", "destination_country", "delivered_on"],
                name="fact_lane_delivered",
            ),
        ]

    def __str__(self) -> str:
        return f"fact of shipment {self.shipment_id}"


class DailyRollup(models.Model):
    """One shop x carrier x service x destination country x local day: the parcels shipped that day and
    the deliveries that happened on it. Rates and percentiles add up across rows (counts, histograms)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="daily_rollups")
    carrier = models.CharField(max_length=32)
    service = models.CharField(max_length=120, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    day = models.DateField()
    # The day's cohort: parcels whose order was placed on ``day``.
    shipped = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    first_estimate_known = models.PositiveIntegerField(default=0)
    on_time_first_estimate = models.PositiveIntegerField(default=0)
    promised_known = models.PositiveIntegerField(default=0)
    on_time_promised = models.PositiveIntegerField(default=0)
    first_attempt = models.PositiveIntegerField(default=0)
    exceptions = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    # Of the day's cohort, still on the way to the customer: the dashboard sums it instead of counting parcels.
    in_flight = models.PositiveIntegerField(default=0)
    order_to_pickup = models.JSONField(default=empty_histogram)
    pickup_to_delivery = models.JSONField(default=empty_histogram)
    order_to_delivery = models.JSONField(default=empty_histogram)
    # Deliveries that happened on ``day`` (whatever day they shipped), for "delivered this week".
    delivered_that_day = models.PositiveIntegerField(default=0)
    on_time_known_that_day = models.PositiveIntegerField(default=0)
    on_time_that_day = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "carrier", "service", "destination_country", "day"], name="rollup_unique_lane_day"
            )
        ]
        indexes = [models.Index(fields=["shop", "day"], name="rollup_shop_day")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.service or '-'} to {self.destination_country or '?'} on {self.day}"


class SlaMetric(models.TextChoices):
    PICKUP_TO_DELIVERY = "pickup_to_delivery", "Pickup to delivery"
    ORDER_TO_DELIVERY = "order_to_delivery", "Order to delivery"


class SlaTarget(models.Model):
    """A shop's service level for a carrier, e.g. "95% delivered within 2 business days" to one country."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sla_targets")
    carrier = models.CharField(max_length=32, help_text="Carrier code, e.g. inpost")
    destination_country = models.CharField(
        max_length=2, blank=True, help_text="ISO code, e.g. PL; empty for every destination"
    )
    metric = models.CharField(max_length=24, choices=SlaMetric.choices, default=SlaMetric.PICKUP_TO_DELIVERY)
    within_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(29)], help_text="Business days"
    )
    target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of delivered parcels that must arrive within the days, e.g. 95",
    )
    min_deliveries = models.PositiveIntegerField(
        default=20, help_text="A week with fewer deliveries is not judged (too few to say)"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SLA target"
        ordering = ["carrier", "destination_country", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "carrier", "destination_country", "metric"], name="sla_target_unique"
            )
        ]

    def __str__(self) -> str:
        where = f" to {self.destination_country}" if self.destination_country else ""
        return f"{self.carrier}{where}: {self.target_percent}% within {self.within_days} business days"

    def clean(self) -> None:
        # One spelling, as the roll-ups store them, so a target matches its parcels.
        self.carrier = self.carrier.strip().lower()
        self.destination_country = self.destination_country.strip().upper()


class SlaBreach(models.Model):
    """A week in which a target was missed; the unique key makes the alert go out once per target and week."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sla_breaches")
    target = models.ForeignKey(SlaTarget, on_delete=models.CASCADE, related_name="breaches")
    period_start = models.DateField(help_text="Monday of the week")
    attained_percent = models.DecimalField(max_digits=5, decimal_places=2)
    deliveries = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "missed SLA week"
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["target", "period_start"], name="sla_breach_once_per_week")]

    def __str__(self) -> str:
        return f"{self.target} missed in the week of {self.period_start}: {self.attained_percent}%"


class MonthlyReport(models.Model):
    """A shop's monthly carrier report, sent once per month (the row is the promise)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="monthly_reports")
    month = models.DateField(help_text="First day of the month reported")
    owner_count = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["shop", "month"], name="monthly_report_once")]

    def __str__(self) -> str:
        return f"report of {self.month:%Y-%m}"


class EstimateRecord(models.Model):
    """The learned estimate a parcel got at its first scan, kept to measure accuracy once it is delivered."""

    tenant_path = "shop"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, primary_key=True, related_name="estimate")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="estimate_records")
    made_on = models.DateField()
    earliest = models.DateField()
    likely = models.DateField()
    latest = models.DateField()
    samples = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"estimate of shipment {self.shipment_id}: {self.earliest}..{self.latest}"
