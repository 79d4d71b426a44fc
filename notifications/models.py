"""Per-shop email settings and templates, the message outbox, ESP events, suppressions, stored emails."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from carriers.types import Reason, Status
from notifications.shop_esp import ESP_PROVIDER_CHOICES, esp_options_errors
from shipments.models import STATUS_CHOICES, Order, Shipment, StatusChange
from shops.models import LANGUAGE_CHOICES, Shop

# Statuses that email by default when a shop has not chosen: the moments a customer acts on or waits for.
DEFAULT_EMAIL_STATUSES = [
    Status.INFO_RECEIVED.value,  # "shipped": the label exists, the tracking link works
    Status.IN_TRANSIT.value,
    Status.OUT_FOR_DELIVERY.value,
    Status.AVAILABLE_FOR_PICKUP.value,
    Status.FAILED_ATTEMPT.value,
    Status.EXCEPTION.value,
    Status.DELIVERED.value,
    Status.RETURNING_TO_SENDER.value,
]

# Reasons whose arrival within the same status emails by default: the customer can act on them or
# would otherwise ask; never every reason a carrier reports.
DEFAULT_REASON_EMAILS = [Reason.CUSTOMS.value, Reason.ADDRESS_PROBLEM.value, Reason.DELAYED.value]


def default_email_statuses() -> list[str]:
    return list(DEFAULT_EMAIL_STATUSES)


def default_reason_emails() -> list[str]:
    return list(DEFAULT_REASON_EMAILS)


class NotificationSettings(models.Model):
    """How and when one shop emails its customers: statuses, quiet hours, caps and its own ESP."""

    tenant_path = "shop"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="notification_settings")
    email_statuses = models.JSONField(
        default=default_email_statuses,
        blank=True,
        help_text='Statuses that send the transactional email, e.g. ["out_for_delivery", "delivered"].',
    )
    reason_emails = models.JSONField(
        default=default_reason_emails,
        blank=True,
        help_text='Reasons that email when they arrive within the same status, e.g. ["customs", "delayed"].',
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, help_text="Non-urgent emails wait from this local time (customer's timezone)."
    )
    quiet_hours_end = models.TimeField(null=True, blank=True, help_text="... until this local time.")
    daily_cap_per_shipment = models.PositiveSmallIntegerField(
        default=4, help_text="At most this many emails about one parcel in 24 hours."
    )
    max_transition_age_hours = models.PositiveIntegerField(
        default=48, help_text="Transitions older than this (carrier time) send no email."
    )
    settle_seconds = models.PositiveIntegerField(
        default=60,
        help_text="Non-urgent emails wait this long so rapid successive transitions collapse into one email.",
    )
    esp_provider = models.CharField(
        "own ESP",
        max_length=20,
        blank=True,
        choices=ESP_PROVIDER_CHOICES,
        help_text="Optional: send this shop's emails through its own account at one of these providers.",
    )
    esp_secret_options = models.JSONField(
        "ESP credentials",
        default=dict,
        blank=True,
        help_text='Only the provider\'s credential keys, e.g. {"server_token": "..."} for Postmark (never exported).',
    )
    # The shop's own tracking webhook: the token names the shop in the URL, the secret is its basic auth.
    esp_webhook_token = models.CharField(max_length=43, unique=True, null=True, blank=True, editable=False)
    esp_webhook_secret = models.CharField(max_length=43, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Email settings of {self.shop}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.esp_provider and not self.esp_webhook_token:
            self.esp_webhook_token = secrets.token_urlsafe(32)
            self.esp_webhook_secret = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        known = {status.value for status in Status}
        if not isinstance(self.email_statuses, list) or not set(self.email_statuses) <= known:
            raise ValidationError({"email_statuses": f"A list of statuses from: {', '.join(sorted(known))}."})
        reasons = {reason.value for reason in Reason}
        if not isinstance(self.reason_emails, list) or not set(self.reason_emails) <= reasons:
            raise ValidationError({"reason_emails": f"A list of reasons from: {', '.join(sorted(reasons))}."})
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValidationError("Set both ends of the quiet hours, or neither.")
        errors = esp_options_errors(provider=self.esp_provider, options=self.esp_secret_options)
        if errors:
            raise ValidationError({"esp_secret_options": errors})


class StatusTemplate(models.Model):
    """A shop's own subject, heading and body for one status in one language (sandboxed Jinja2)."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="status_templates")
    status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    subject = models.CharField(max_length=200, blank=True, help_text="Empty: the built-in subject.")
    heading = models.CharField(max_length=200, blank=True, help_text="Empty: the built-in heading.")
    body = models.TextField(
        blank=True, max_length=5000, help_text="Plain text, blank lines split paragraphs. Empty: the built-in text."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "language"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "status", "language"], name="status_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.language})"

    def clean(self) -> None:
        from notifications.rendering import override_errors

        errors = override_errors(subject=self.subject, heading=self.heading, body=self.body)
        if errors:
            raise ValidationError(errors)


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"
    SUPERSEDED = "superseded", "Superseded by a newer status"
    SKIPPED = "skipped", "Skipped"
    # The provider call may or may not have happened (worker lost, no answer): reconciliation decides.
    UNKNOWN = "unknown", "Outcome unknown"


# Final states: nothing more will happen to the message (except ESP events after ``sent``).
FINAL_MESSAGE_STATUSES = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.SUPPRESSED,
        MessageStatus.SUPERSEDED,
        MessageStatus.SKIPPED,
    }
)
TRANSACTIONAL_KEY = 0  # ``campaign_key`` of the shop's transactional email; campaigns use their id
# The trigger kind notifications itself knows; other apps name their own kinds ("return", "incident", ...).
STATUS_CHANGE_TRIGGER = "status_change"


class Reconciliation(models.TextChoices):
    """How a message whose outcome was unknown was settled (``notifications.reconcile``)."""

    FOUND = "found", "Found at the provider: sent"
    EVENT = "event", "A provider event showed it was sent"
    ABSENT_RESENT = "absent_resent", "Confirmed absent at the provider: resent"
    QUIET_RESENT = "quiet_resent", "No lookup, no provider event in the quiet period: resent"
    LEFT_FOR_A_PERSON = "left_for_a_person", "Left for a person to decide"
    MARKED_SENT = "marked_sent", "Marked as sent by a person"
    RESENT_MANUALLY = "resent_manually", "Resent by a person"


class MessageChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class Message(models.Model):
    """One message a trigger causes (a status change, a return, ...): claimed, rendered, sent once, then observed.

    Its key is (trigger kind, trigger id, channel, campaign): whichever app asks, and however often,
    a trigger has at most one message per channel and campaign.
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="messages")
    trigger_kind = models.CharField(max_length=40)
    trigger_id = models.PositiveBigIntegerField()
    channel = models.CharField(max_length=8, choices=MessageChannel.choices, default=MessageChannel.EMAIL)
    # Set for status-change messages only (and then equal to trigger_id): their renderer reads it.
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    # Empty only for messages to the shop itself (the watchlist's daily digest), never for a customer's.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    # NULL would not be unique in PostgreSQL: the transactional email keys as 0, a campaign as its id.
    campaign_key = models.PositiveBigIntegerField(default=TRANSACTIONAL_KEY)
    campaign_id = models.PositiveBigIntegerField(null=True, blank=True)
    variant = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=24, choices=STATUS_CHOICES, blank=True)
    to_email = models.EmailField()
    # SMS messages: the recipient in E.164 and the segments the gateway bills (to_email stays empty).
    to_phone = models.CharField(max_length=16, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    # Messages of other triggers render ``emails/<template>.*`` with ``context`` (JSON the asking app gave).
    template = models.CharField(max_length=100, blank=True)
    context = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    reason = models.TextField(blank=True, help_text="Why it failed, was skipped, suppressed or superseded")
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the release tick last published it: a lease so a backlog is not re-published every tick.
    released_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set just before the ESP call: a worker lost after this point may have sent the email.
    handed_to_esp_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Reconciliation of an unknown outcome: since when, the last decision (who/when/what) and every decision's line.
    unknown_since = models.DateTimeField(null=True, blank=True)
    reconciliation = models.CharField(max_length=20, choices=Reconciliation.choices, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = models.CharField(max_length=254, blank=True)
    reconciliation_log = models.TextField(blank=True, help_text="Every reconciliation decision: when, who, why")
    # When reconciliation handed it to the sending queue again without a lookup (done at most once).
    resent_blind_at = models.DateTimeField(null=True, blank=True)
    esp_name = models.CharField(max_length=40, blank=True)
    esp_message_id = models.CharField(max_length=200, blank=True, db_index=True)

    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    marketing_notes = models.TextField(blank=True)

    last_event = models.CharField(max_length=20, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger_kind", "trigger_id", "channel", "campaign_key"], name="message_once_per_trigger"
            ),
            # The status change FK is the trigger itself, never another row, and only for that kind.
            models.CheckConstraint(
                condition=Q(trigger_kind=STATUS_CHANGE_TRIGGER, status_change=F("trigger_id"))
                | (~Q(trigger_kind=STATUS_CHANGE_TRIGGER) & Q(status_change__isnull=True)),
                name="message_status_change_is_trigger",
            ),
        ]
        indexes = [
            # The release tick's query: queued messages by due time.
            models.Index(fields=["send_after"], name="message_due", condition=Q(status="queued")),
            models.Index(fields=["claimed_at"], name="message_sending", condition=Q(status="sending")),
            # The reconciliation sweeper's query: unknown outcomes by age.
            models.Index(fields=["unknown_since"], name="message_unknown", condition=Q(status="unknown")),
            models.Index(fields=["shipment", "created_at"], name="message_shipment"),
            models.Index(fields=["shop", "-created_at"], name="message_shop_recent"),
        ]

    def __str__(self) -> str:
        kind = "transactional" if self.campaign_key == TRANSACTIONAL_KEY else f"campaign {self.campaign_id}"
        subject = self.to_status or self.template
        return f"{subject} {self.channel} ({kind}) for order {self.order_id}"

    @property
    def is_transactional(self) -> bool:
        return self.campaign_key == TRANSACTIONAL_KEY

    @property
    def is_status_change(self) -> bool:
        return self.trigger_kind == STATUS_CHANGE_TRIGGER


class MessageEvent(models.Model):
    """One ESP tracking event about a message (delivered, opened, bounced ...), stored once."""

    tenant_path = "message__shop"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    esp_name = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    recipient = models.CharField(max_length=254, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["esp_name", "event_id"], name="message_event_once")]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Hard bounce"
    COMPLAINED = "complained", "Spam complaint"
    MANUAL = "manual", "Added by the shop"


class Suppression(models.Model):
    """An address this shop must not email any more."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="suppressions")
    email = models.EmailField()
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "suppressed address"
        verbose_name_plural = "suppressed addresses"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["shop", "email"], name="suppression_once_per_shop")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class OutboxEmail(models.Model):
    """An email 'sent' by the database backend: the embedded demo's ESP, viewable in the admin."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox_emails")
    esp_message_id = models.CharField(max_length=64, unique=True)
    # The sender's own id (our Message id): a second hand-over of the same message stores nothing new.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    reply_to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    tags = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "stored email (outbox)"
        verbose_name_plural = "stored emails (outbox)"

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
