"""Migration 0002: existing status-change messages get their trigger key, and the key is enforced."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0001_initial")]
AFTER = [("notifications", "0002_message_triggers")]
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def migrate(targets):
    """Migrate to ``targets`` and return the models as every applied migration (of every app) left them."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def test_existing_messages_become_status_change_email_triggers():
    # given a message stored before the migration
    apps = migrate(BEFORE)
    try:
        Shop = apps.get_model("shops", "Shop")
        Order = apps.get_model("shipments", "Order")
        Shipment = apps.get_model("shipments", "Shipment")
        StatusChange = apps.get_model("shipments", "StatusChange")
        Message = apps.get_model("notifications", "Message")
        shop = Shop.objects.create(name="Kawa", slug="kawa-migration")
        order = Order.objects.create(
            shop=shop, number="1001", public_token="t" * 32, customer_email="a@example.com", placed_at=NOW
        )
        shipment = Shipment.objects.create(
            shop=shop, order=order, carrier="inpost", tracking_number="6200001", public_token="s" * 32
        )
        change = StatusChange.objects.create(
            shipment=shipment, from_status="in_transit", to_status="delivered", occurred_at=NOW
        )
        old = Message.objects.create(
            shop=shop,
            status_change=change,
            order=order,
            shipment=shipment,
            campaign_key=3,
            campaign_id=3,
            to_status="delivered",
            to_email="a@example.com",
            language="pl",
            send_after=NOW,
        )
        # when
        apps = migrate(AFTER)
        # then
        Message = apps.get_model("notifications", "Message")
        migrated = Message.objects.get(pk=old.pk)
        assert (migrated.trigger_kind, migrated.trigger_id, migrated.channel, migrated.campaign_key) == (
            "status_change",
            change.pk,
            "email",
            3,
        )
        assert (migrated.status_change_id, migrated.template, migrated.context) == (change.pk, "status", {})
        with pytest.raises(IntegrityError), transaction.atomic():
            Message.objects.create(
                shop_id=shop.pk,
                trigger_kind="status_change",
                trigger_id=change.pk,
                status_change_id=change.pk,
                channel="email",
                campaign_key=3,
                order_id=order.pk,
                to_email="a@example.com",
                language="pl",
                send_after=NOW,
            )
        assert Message.objects.count() == 1
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
