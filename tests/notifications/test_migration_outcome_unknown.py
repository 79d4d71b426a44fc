"""Migration 0006: messages failed as "Outcome unknown" before the state existed become unknown, to be reconciled."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0005_reason_emails")]
AFTER = [("notifications", "0006_message_outcome_unknown")]
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def migrate(targets):
    """Migrate to ``targets`` and return the models as every applied migration (of every app) left them."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def test_outcome_unknown_failures_become_unknown_and_other_failures_stay_failed():
    # given: two failed messages stored before the migration, one of unknown outcome
    apps = migrate(BEFORE)
    try:
        Shop = apps.get_model("shops", "Shop")
        Order = apps.get_model("shipments", "Order")
        Message = apps.get_model("notifications", "Message")
        shop = Shop.objects.create(name="Kawa", slug="kawa-unknown-migration")
        order = Order.objects.create(
            shop=shop, number="1001", public_token="t" * 32, customer_email="a@example.com", placed_at=NOW
        )
        common = {"shop": shop, "order": order, "to_email": "a@example.com", "language": "pl", "send_after": NOW}
        lost = Message.objects.create(
            trigger_kind="return",
            trigger_id=1,
            status="failed",
            reason="Outcome unknown: the worker was lost during the ESP call; not resent to avoid a duplicate email",
            **common,
        )
        refused = Message.objects.create(
            trigger_kind="return", trigger_id=2, status="failed", reason="ESP refused the email (HTTP 422)", **common
        )
        # when
        apps = migrate(AFTER)
        # then
        Message = apps.get_model("notifications", "Message")
        migrated = Message.objects.get(pk=lost.pk)
        assert (migrated.status, migrated.unknown_since) == ("unknown", migrated.updated_at)
        assert Message.objects.get(pk=refused.pk).status == "failed"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
