"""Tenants: the shop with its branding, the people who run it (and their invitations), API keys, audit log."""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from shops.slugs import validate_shop_slug
from shops.validators import validate_brand_image, validate_domain, validate_hex_colour, validate_timezone

LANGUAGE_CHOICES = [("pl", "Polski"), ("en", "English"), ("de", "Deutsch"), ("cs", "Čeština"), ("sk", "Slovenčina")]

# System font stacks only: a tracking page makes no third-party requests by default.
FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "humanist": '"Seravek", "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", source-sans-pro, sans-serif',
    "geometric": 'Avenir, Montserrat, Corbel, "URW Gothic", source-sans-pro, sans-serif',
    "classical": '"Iowan Old Style", "Palatino Linotype", "URW Palladio L", P052, serif',
    "transitional": 'Charter, "Bitstream Charter", "Sitka Text", Cambria, serif',
    "rounded": 'ui-rounded, "Hiragino Maru Gothic ProN", Quicksand, Comfortaa, Manjari, "Arial Rounded MT", sans-serif',
    "monospace": 'ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", monospace',
}
FONT_CHOICES = [(key, key.title()) for key in FONT_STACKS]


class FeedbackScale(models.TextChoices):
    """How customers score an order: read by the delivered email, the tracking page and the feedback app."""

    NPS = "nps", "NPS: 0-10, how likely to recommend us"
    CSAT = "csat", "CSAT: 1-5 stars, how satisfied"


class Shop(models.Model):
    """A tenant: one online shop with its branding, sender identity, locale and domain."""

    tenant_path = ""  # how the tenant-scoped admin reaches the shop from this model

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True, validators=[MinLengthValidator(2), validate_shop_slug])
    is_active = models.BooleanField(default=True)
    locale = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, default="pl")
    timezone = models.CharField(max_length=64, default="Europe/Warsaw", validators=[validate_timezone])
    website_url = models.URLField(blank=True)

    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = models.URLField(blank=True)
    # Here rather than in the feedback app: the delivered email (notifications, below feedback) shows the scale.
    feedback_scale = models.CharField(
        max_length=4,
        choices=FeedbackScale.choices,
        default=FeedbackScale.NPS,
        help_text="The score the delivered email and the tracking page ask for.",
    )

    sender_name = models.CharField(max_length=120, blank=True)
    sender_email = models.EmailField(blank=True)
    reply_to_email = models.EmailField(blank=True)

    custom_domain = models.CharField(
        max_length=253,
        blank=True,
        null=True,
        unique=True,
        validators=[validate_domain],
        help_text="Host name that serves this shop's tracking pages, e.g. track.example.com.",
    )

    logo = models.ImageField(upload_to="shops/logos/", blank=True, validators=[validate_brand_image])
    favicon = models.ImageField(upload_to="shops/favicons/", blank=True, validators=[validate_brand_image])
    primary_color = models.CharField(max_length=7, default="#1F4E79", validators=[validate_hex_colour])
    accent_color = models.CharField(max_length=7, default="#F2A900", validators=[validate_hex_colour])
    background_color = models.CharField(max_length=7, default="#FFFFFF", validators=[validate_hex_colour])
    text_color = models.CharField(max_length=7, default="#1C1C1C", validators=[validate_hex_colour])
    font = models.CharField(max_length=20, choices=FONT_CHOICES, default="system")
    page_title = models.CharField(max_length=120, blank=True)
    banner_image = models.ImageField(upload_to="shops/banners/", blank=True, validators=[validate_brand_image])
    banner_url = models.URLField(blank=True)
    banner_text = models.CharField(max_length=200, blank=True)
    footer_text = models.TextField(blank=True, max_length=2000)

    retention_days = models.PositiveIntegerField(
        default=365,
        validators=[MinValueValidator(1)],
        help_text="Customers' personal data on an order is erased this many days after its last parcel event.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def font_stack(self) -> str:
        return FONT_STACKS.get(self.font, FONT_STACKS["system"])

    @property
    def from_email(self) -> str:
        """The sender identity for this shop's emails, falling back to the platform default."""
        from email.utils import formataddr

        if self.sender_email:
            return formataddr((self.sender_name or self.name, self.sender_email))
        return settings.DEFAULT_FROM_EMAIL


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MARKETER = "marketer", "Marketer"
    SUPPORT = "support", "Support"


class Membership(models.Model):
    """A user's role in one shop; a user may belong to several shops."""

    tenant_path = "shop"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="membership_one_role_per_shop")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.shop}"


def token_digest(raw_token: str) -> str:
    """The stored form of an API key or invitation token: 256 random bits need no slow hash."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


API_KEY_PREFIX_LENGTH = 10


def _new_prefix() -> str:
    return secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)


class ApiKey(models.Model):
    """A shop's API key: only its SHA-256 is stored; the prefix identifies it in lists and logs."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True, default=_new_prefix, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["shop"], name="apikey_active_by_shop", condition=Q(revoked_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.name} (pf_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ShopClosure(models.Model):
    """Days the shop does not work (inventory, holidays of its own): not business days for that shop."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last closed day (inclusive); the same as the first for one day")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shop_id", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="shop_closure_ends_after_start",
                violation_error_message="A closure cannot end before it starts.",
            )
        ]
        indexes = [models.Index(fields=["shop", "ends_on"], name="shop_closure_by_end")]

    def __str__(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.shop} closed {self.starts_on}"
        return f"{self.shop} closed {self.starts_on} to {self.ends_on}"


class PrivacyKind(models.TextChoices):
    EXPORT = "export", "Export of a customer's data"
    ERASE = "erase", "Erasure of a customer's data"
    RETENTION = "retention", "Erasure after the retention period"


class PrivacyRequest(models.Model):
    """The audit trail of data-subject requests and retention runs: who, when, whom (hashed), how many rows."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="privacy_requests")
    kind = models.CharField(max_length=10, choices=PrivacyKind.choices)
    # The keyed hash of the customer's email (never the email): a later request for them can be matched.
    subject = models.CharField(max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, help_text='Who asked: a user, "API key <prefix>" or "retention"')
    at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict, help_text="Rows exported or erased, per model")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["shop", "-at"], name="privacyrequest_shop_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """An emailed, single-use, expiring link that lets a person set their password and join a shop in a role.

    Only the SHA-256 of the token is stored; the raw token exists in the email alone.
    """

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["shop", "email"], name="invitation_by_shop_email")]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} of {self.shop}"


class AuditAction(models.TextChoices):
    """What the audit log records; apps holding credentials or personal data record theirs through audit_record."""

    MEMBER_INVITED = "member_invited", "Member invited"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_ROLE_CHANGED = "member_role_changed", "Member role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    ESP_CREDENTIALS_CHANGED = "esp_credentials_changed", "ESP credentials changed"
    CARRIER_CREDENTIALS_CHANGED = "carrier_credentials_changed", "Carrier credentials changed"
    SHOP_CONNECTION_CHANGED = "shop_connection_changed", "Shop connection credentials changed"
    CUSTOMER_DATA_ERASED = "customer_data_erased", "Customer data erased"
    CUSTOMER_DATA_EXPORTED = "customer_data_exported", "Customer data exported"
    MESSAGE_RESENT = "message_resent", "Message of unknown outcome resent"
    MESSAGE_MARKED_SENT = "message_marked_sent", "Message of unknown outcome marked as sent"


class AuditEvent(models.Model):
    """One security-relevant action in a shop: who did what to what, when and from where. Append-only."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept beside the foreign key so the trail still names the person after their account is deleted.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target = models.CharField(max_length=300)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["shop", "-at"], name="auditevent_by_shop_time")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"
