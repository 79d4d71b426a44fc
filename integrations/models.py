"""Shop connections (BaseLinker, Shopify, WooCommerce) and what each sync learned: platform ids, cursor, health.

The ingestion itself is ``shipments.services``; these rows only remember which platform order and
parcel became which of ours, so every repeat is recognised (idempotent by the platform's ids).
"""

import secrets

from django.db import models
from django.db.models import Q

from shipments.models import Order, Shipment
from shops.models import Shop

CONNECTION_ID_BYTES = 24  # 192 bits: the webhook URL is the only thing that names the connection


def new_connection_id() -> str:
    """An unguessable id for ``/webhooks/shops/<platform>/<id>/``."""
    return secrets.token_urlsafe(CONNECTION_ID_BYTES)


class Platform(models.TextChoices):
    BASELINKER = "baselinker", "BaseLinker"
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class ShopConnection(models.Model):
    """One store of a shop on one platform: its credentials (write-only in the admin), sync cursor and health."""

    tenant_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="connections")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    name = models.CharField(max_length=120, help_text="Your name for this store, e.g. 'Allegro + shop'")
    public_id = models.CharField(max_length=64, unique=True, default=new_connection_id, editable=False)
    enabled = models.BooleanField(default=True, help_text="Off: no polling, webhooks are refused")
    store_url = models.URLField(
        blank=True, help_text="Shopify: https://<store>.myshopify.com; WooCommerce: your shop's address"
    )
    api_token = models.CharField(
        max_length=500, blank=True, help_text="BaseLinker API token; Shopify Admin API access token; WooCommerce key"
    )
    api_secret = models.CharField(max_length=500, blank=True, help_text="WooCommerce consumer secret")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Shopify app's API secret / WooCommerce webhook secret"
    )
    order_number_prefix = models.CharField(
        max_length=10, blank=True, help_text="Put before the platform's order numbers when several stores share numbers"
    )
    first_import_days = models.PositiveSmallIntegerField(
        default=3, help_text="On the first sync, import orders of this many past days"
    )
    write_back_delivered = models.BooleanField(
        default=False, help_text="Tell the platform when a parcel is delivered (off by default)"
    )
    delivered_status_id = models.CharField(
        max_length=40, blank=True, help_text="BaseLinker: the order status id to set when delivered"
    )

    cursor = models.CharField(max_length=64, blank=True, help_text="BaseLinker: last journal entry read")
    # Held by the one sync running for this connection, so two never move the cursor at once.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    first_import_done_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    orders_imported = models.PositiveIntegerField(default=0)
    orders_updated = models.PositiveIntegerField(default=0)
    parcels_imported = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, help_text="Why the last call to the platform failed, in plain words")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_problems = models.TextField(
        blank=True, help_text="Orders or parcels the last import could not take, in plain words"
    )
    last_problems_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_auth_error = models.TextField(blank=True)
    last_auth_error_at = models.DateTimeField(null=True, blank=True)
    owner_told_at = models.DateTimeField(null=True, blank=True, help_text="When the owners were emailed the pause")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shop_id", "platform", "name"]
        indexes = [models.Index(fields=["platform", "enabled"], name="connection_platform")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name}"


class PlatformOrder(models.Model):
    """A platform's order and the order it became here; the key of idempotent imports."""

    tenant_path = "connection__shop"

    connection = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="platform_orders")
    platform_order_id = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="platform_orders")
    # The platform's last-modified time of the newest snapshot applied; older snapshots arriving late are skipped.
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "platform_order_id"], name="platform_order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.connection.platform} order {self.platform_order_id}"


class PlatformParcel(models.Model):
    """A platform's parcel (BaseLinker package, Shopify fulfillment number, WooCommerce tracking item).

    ``shipment`` is empty while the parcel waits for its order (a fulfillment webhook that overtook
    the order's) or when it could not become a shipment (``problem`` says why).
    """

    tenant_path = "connection__shop"

    connection = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="platform_parcels")
    platform_order_id = models.CharField(max_length=64)
    platform_parcel_id = models.CharField(max_length=128)
    # The platform's grouping the write-back needs (Shopify: the fulfillment id).
    platform_group_id = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64)
    courier = models.CharField(max_length=120, blank=True, help_text="The platform's courier code or name")
    is_return = models.BooleanField(default=False)
    shipment = models.ForeignKey(
        Shipment, on_delete=models.SET_NULL, null=True, blank=True, related_name="platform_parcels"
    )
    problem = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    written_back_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "platform_parcel_id"], name="platform_parcel_once"),
        ]
        indexes = [
            models.Index(fields=["connection", "platform_order_id"], name="platform_parcel_order"),
            models.Index(
                fields=["connection"],
                name="platform_parcel_write_back",
                condition=Q(written_back_at__isnull=True, shipment__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.courier or '?'} {self.tracking_number}"


class WebhookReceipt(models.Model):
    """A platform webhook delivery already applied, by the platform's delivery id (at-least-once -> once)."""

    tenant_path = "connection__shop"

    connection = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="webhook_receipts")
    delivery_id = models.CharField(max_length=128)
    topic = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "delivery_id"], name="webhook_receipt_once")]
        indexes = [models.Index(fields=["received_at"], name="webhook_receipt_age")]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"
