"""Incidents (problem parcels), the per-shop rules that tune them, and the watch schedule of each open parcel."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from shipments.models import Shipment
from shops.models import Shop


class IncidentType(models.TextChoices):
    INVALID_TRACKING = "invalid_tracking", "Invalid tracking number"
    LATE_DISPATCH = "late_dispatch", "Late dispatch"
    FORGOTTEN = "forgotten", "Label created, never picked up"
    STALLED = "stalled", "Stalled in transit"
    DELAYED = "delayed", "Delayed"
    FAILED_ATTEMPT = "failed_attempt", "Failed attempt not followed up"
    PICKUP_DEADLINE = "pickup_deadline", "Pickup deadline near or expired"
    EXCEPTION = "exception", "Exception unresolved"
    LOST = "lost", "Lost"


class IncidentState(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


class ThresholdSource(models.TextChoices):
    DEFAULT = "default", "Default"
    OVERRIDE = "override", "Shop rule"
    LEARNED = "learned", "Learned from the lane (p95)"


ACTIVE_STATES = (IncidentState.OPEN, IncidentState.SNOOZED)


class Incident(models.Model):
    """One problem of one parcel: opened once per (shipment, type) while active, resolved by the parcel or a person."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="incidents")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="incidents")
    incident_type = models.CharField(max_length=24, choices=IncidentType.choices)
    state = models.CharField(max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN)
    # The moment the rule counts from (last scan, label, order, collect-by ...): a person's resolution
    # holds for that episode, and the same episode never opens twice.
    anchor_at = models.DateTimeField()
    deadline_at = models.DateTimeField(null=True, blank=True, help_text="Pickup deadline ('collect by')")
    threshold_days = models.PositiveSmallIntegerField(help_text="Business days of the rule that applied")
    threshold_source = models.CharField(max_length=10, choices=ThresholdSource.choices)
    threshold_note = models.CharField(max_length=200, blank=True, help_text="Why this threshold applied")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    notes = models.TextField(blank=True, help_text="Support's notes")

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "incident_type"],
                condition=Q(state__in=["open", "snoozed"]),
                name="incident_one_active_per_type",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "state", "-opened_at"], name="incident_shop_state"),
            models.Index(fields=["shipment", "incident_type", "anchor_at"], name="incident_episode"),
        ]

    def __str__(self) -> str:
        return f"{self.get_incident_type_display()} ({self.state}) {self.shipment}"


class IncidentRule(models.Model):
    """A shop's override for one incident type, optionally only for a carrier and/or a destination country.

    The most specific matching rule wins (carrier and country, then carrier, then country, then shop-wide).
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="incident_rules")
    incident_type = models.CharField(max_length=24, choices=IncidentType.choices)
    carrier = models.CharField(max_length=32, blank=True, help_text="Empty: every carrier")
    destination_country = models.CharField(max_length=2, blank=True, help_text="Empty: every country")
    threshold_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Business days; empty keeps the learned or default threshold"
    )
    enabled = models.BooleanField(default=True, help_text="Off: this incident type is not raised here")
    notify_customer = models.BooleanField(
        null=True, blank=True, help_text="Email the customer when it opens; empty keeps the default"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "incident_type", "carrier", "destination_country"], name="incident_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_type} {self.carrier or '*'} -> {self.destination_country or '*'}"


class ShipmentWatch(models.Model):
    """When the watchlist next looks at an open parcel; the beat claims only rows that are due."""

    tenant_path = "shipment__shop"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, primary_key=True, related_name="watch")
    due_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="watch_due", condition=Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return f"watch {self.shipment_id} due {self.due_at}"


class WatchCursor(models.Model):
    """The highest shipment id the scan has enrolled: new parcels are found by id, never by a full scan."""

    tenant_path = None

    name = models.CharField(max_length=20, primary_key=True)
    last_shipment_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_shipment_id}"


class DigestSent(models.Model):
    """The daily digest of one shop for one day; the key makes it go once."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    incident_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"digest {self.shop_id} {self.day}"
