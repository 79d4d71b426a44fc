"""SMS as a channel of notifications: per-shop settings and texts, the database outbox, opt-outs, preference links.

The SMS messages themselves are ``notifications.Message`` rows with ``channel="sms"``; these models hold
what only SMS needs. ``NotificationsConfig.import_models`` loads them, so they belong to the notifications app.
"""

from __future__ import annotations

import re
import secrets
from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from carriers.types import Status
from notifications.sms.providers import SMS_PROVIDER_CHOICES, sms_options_errors
from notifications.sms.variables import sms_template_errors
from shipments.models import STATUS_CHOICES, Order
from shops.models import LANGUAGE_CHOICES, Shop

# Statuses a shop may text about: the moments a customer acts on today. Off by default except the first two.
SMS_STATUSES = (
    Status.OUT_FOR_DELIVERY.value,
    Status.AVAILABLE_FOR_PICKUP.value,
    Status.FAILED_ATTEMPT.value,
    Status.EXCEPTION.value,
)
DEFAULT_SMS_STATUSES = [Status.OUT_FOR_DELIVERY.value, Status.AVAILABLE_FOR_PICKUP.value]
# What gateways accept as an alphanumeric sender: 3 to 11 letters, digits, spaces, dots and dashes, one letter at least.
SENDER_NAME_PATTERN = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-]{3,11}$")


def default_sms_statuses() -> list[str]:
    return list(DEFAULT_SMS_STATUSES)


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


class SmsSettings(models.Model):
    """Whether and how one shop texts its customers: statuses, sender, send window, cap and its own gateway."""

    tenant_path = "shop"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sms_settings")
    enabled = models.BooleanField(
        default=False, help_text="Text customers at all (SMS costs money: each shop turns it on)."
    )
    statuses = models.JSONField(
        default=default_sms_statuses,
        blank=True,
        help_text=f"Statuses that send an SMS, from: {', '.join(SMS_STATUSES)}.",
    )
    incident_sms = models.BooleanField(default=False, help_text="Also text the customer when an incident opens.")
    sender_name = models.CharField(
        max_length=11,
        blank=True,
        help_text="Alphanumeric sender as registered with the gateway (3 to 11 characters), e.g. MyShop. "
        "Empty: the gateway account's default sender.",
    )
    transliterate = models.BooleanField(
        default=False,
        help_text="Replace diacritics (ą→a, ł→l …) so texts fit GSM-7: 160 characters per SMS instead of 70.",
    )
    window_start = models.TimeField(default=time(8, 0), help_text="SMS go out from this local time …")
    window_end = models.TimeField(
        default=time(20, 0), help_text="… until this one (the customer's country's time zone, else the shop's)."
    )
    monthly_cap = models.PositiveIntegerField(
        default=1000, help_text="At most this many SMS per calendar month; then emails instead."
    )
    price_per_segment = models.DecimalField(
        max_digits=6, decimal_places=4, default="0.0900", help_text="What one SMS segment costs you (estimates)."
    )
    price_currency = models.CharField(max_length=3, default="PLN")
    cap_notified_month = models.CharField(max_length=7, blank=True, editable=False)
    provider = models.CharField(
        "own SMS gateway",
        max_length=20,
        blank=True,
        choices=SMS_PROVIDER_CHOICES,
        help_text="Optional: send this shop's SMS through its own account at one of these gateways.",
    )
    secret_options = models.JSONField(
        "gateway credentials",
        default=dict,
        blank=True,
        help_text='Only the gateway\'s credential keys, e.g. {"token": "..."} for SMSAPI (never exported).',
    )
    # Names the shop in its gateway's delivery-report URL (SMSAPI does not sign its callbacks).
    webhook_token = models.CharField(max_length=43, unique=True, default=new_webhook_token, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMS settings"
        verbose_name_plural = "SMS settings"

    def __str__(self) -> str:
        return f"SMS settings of {self.shop}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not isinstance(self.statuses, list) or not set(self.statuses) <= set(SMS_STATUSES):
            errors["statuses"] = [f"A list of statuses from: {', '.join(SMS_STATUSES)}."]
        if self.sender_name and not SENDER_NAME_PATTERN.match(self.sender_name):
            errors["sender_name"] = ["3 to 11 letters, digits, spaces, dots or dashes, with at least one letter."]
        if self.window_start and self.window_end and self.window_start >= self.window_end:
            errors["window_end"] = ["The window ends after it starts (on the same day)."]
        options_errors = sms_options_errors(provider=self.provider, options=self.secret_options)
        if options_errors:
            errors["secret_options"] = options_errors
        if errors:
            raise ValidationError(errors)


class SmsTemplate(models.Model):
    """A shop's own SMS text for one status in one language (sandboxed Jinja2)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sms_templates")
    status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    body = models.TextField(max_length=640, help_text="Plain text with variables; keep it short.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMS template"
        ordering = ["status", "language"]
        constraints = [models.UniqueConstraint(fields=["shop", "status", "language"], name="sms_template_unique")]

    def __str__(self) -> str:
        return f"SMS {self.get_status_display()} ({self.language})"

    def clean(self) -> None:
        if self.status and self.status not in SMS_STATUSES:
            raise ValidationError({"status": f"SMS go out only for: {', '.join(SMS_STATUSES)}."})
        error = sms_template_errors(body=self.body)
        if error:
            raise ValidationError({"body": error})


class OutboxSms(models.Model):
    """An SMS 'sent' by the database backend: the embedded default gateway, viewable in the admin."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox_sms")
    provider_message_id = models.CharField(max_length=64, unique=True)
    # Our Message id: a second hand-over of the same message stores nothing new (like SMSAPI's idx).
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    to = models.CharField(max_length=16)
    sender = models.CharField(max_length=16, blank=True)
    body = models.TextField()
    encoding = models.CharField(max_length=8)
    segments = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "stored SMS (outbox)"
        verbose_name_plural = "stored SMS (outbox)"

    def __str__(self) -> str:
        return f"SMS to {self.to} ({self.segments} x {self.encoding})"


class SmsOptOutReason(models.TextChoices):
    STOP = "stop", "Replied STOP"
    PREFERENCES = "preferences", "Preferences page"
    GATEWAY = "gateway", "Gateway reports an opt-out"
    MANUAL = "manual", "Added by the shop"


class SmsOptOut(models.Model):
    """A phone number this shop must not text any more (E.164; an erased customer's is kept as a hash)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sms_opt_outs")
    phone = models.CharField(max_length=80)  # E.164, or "sha256:<hex>" after erasure
    reason = models.CharField(max_length=16, choices=SmsOptOutReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SMS opt-out"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["shop", "phone"], name="sms_opt_out_once_per_shop")]

    def __str__(self) -> str:
        return f"{self.phone} ({self.get_reason_display()})"


class PreferencesLink(models.Model):
    """The unguessable token (128 bits) of one order's contact preferences page, linked from every message."""

    tenant_path = "order__shop"

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="preferences_link")
    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Preferences of order {self.order_id}"
