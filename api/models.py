"""Idempotent API writes, outgoing webhooks (endpoints, events, deliveries, attempts) and CSV imports."""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from shipments.models import StatusChange
from shops.models import Shop

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
WEBHOOK_SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(WEBHOOK_SECRET_BYTES)).decode()


def new_event_id() -> str:
    """The ``webhook-id`` of an event: stable across retries so receivers can deduplicate."""
    return f"msg_{uuid.uuid4().hex}"


class IdempotencyRecord(models.Model):
    """The stored response of a POST made with an ``Idempotency-Key``, replayed for repeats."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and canonical JSON body")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "key"], name="idempotency_key_unique_per_shop")]

    def __str__(self) -> str:
        return f"{self.key} → {self.response_status}"


class WebhookEventType(models.TextChoices):
    SHIPMENT_STATUS_CHANGED = "shipment.status_changed", "Shipment status changed"
    SHIPMENT_EXCEPTION = "shipment.exception", "Shipment exception"
    SHIPMENT_DELIVERED = "shipment.delivered", "Shipment delivered"
    SHIPMENT_AVAILABLE_FOR_PICKUP = "shipment.available_for_pickup", "Shipment available for pickup"
    MESSAGE_BOUNCED = "message.bounced", "Message bounced"
    RETURN_REQUESTED = "return.requested", "Return requested"
    RETURN_APPROVED = "return.approved", "Return approved"
    RETURN_REJECTED = "return.rejected", "Return rejected"
    RETURN_LABEL_ISSUED = "return.label_issued", "Return code or label issued"
    RETURN_IN_TRANSIT = "return.in_transit", "Return parcel on its way"
    RETURN_RECEIVED = "return.received", "Return received"
    RETURN_RESOLVED = "return.resolved", "Return resolved"
    RETURN_CLOSED = "return.closed", "Return closed"
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    FEEDBACK_RECEIVED = "feedback.received", "Customer feedback received (score, comment, answers)"
    SLA_BREACHED = "sla.breached", "Service level missed"
    WEBHOOK_TEST = "webhook.test", "Test event"


class WebhookEndpoint(models.Model):
    """A shop's URL that receives signed events of the chosen types."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500, help_text="https:// URL; private and loopback addresses are refused.")
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=120, default=new_webhook_secret, help_text="Standard Webhooks secret")
    event_types = models.JSONField(default=list, help_text="Event types this endpoint receives")
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Set by the first failed attempt after a success, cleared by the next success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["shop"], name="webhookendpoint_active", condition=Q(is_active=True))]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


class WebhookEvent(models.Model):
    """One event of a shop (its payload and stable id), fanned out to the subscribed endpoints."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_events")
    event_id = models.CharField(max_length=40, unique=True, default=new_event_id, editable=False)
    event_type = models.CharField(max_length=64, choices=WebhookEventType.choices)
    # What made the event, e.g. "status_change:42:shipment.delivered": the same source never makes two events.
    dedupe_key = models.CharField(max_length=120)
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "dedupe_key"], name="webhookevent_unique_source"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event to one endpoint: retried with backoff until it succeeds once or gives up."""

    tenant_path = "endpoint__shop"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A claimed delivery carries a token; the task that holds it is the only one that may send.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhookdelivery_once_per_endpoint"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhookdelivery_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log support reads."""

    tenant_path = "delivery__endpoint__shop"

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class CsvImportStatus(models.TextChoices):
    CHECKED = "checked", "Checked (dry run)"
    INVALID = "invalid", "Has errors"
    APPLIED = "applied", "Applied"


class CsvImport(models.Model):
    """An uploaded CSV of orders and shipments: its dry-run report, and whether it was applied."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="csv_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text="The uploaded file, decoded")
    status = models.CharField(max_length=10, choices=CsvImportStatus.choices)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "CSV import of orders"
        verbose_name_plural = "CSV imports of orders"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
