"""Migration 0009: the one marketing consent becomes the email consent, stamped with the order's creation."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("shipments", "0008_orderitem_category_tags_discounted")]
AFTER = [("shipments", "0009_consent_per_channel")]


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def test_existing_consent_is_kept_as_email_consent_and_sms_consent_starts_empty():
    apps = migrate(BEFORE)
    try:
        Shop = apps.get_model("shops", "Shop")
        Order = apps.get_model("shipments", "Order")
        shop = Shop.objects.create(name="Consent", slug="consent-migration")
        placed = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
        yes = Order.objects.create(shop=shop, number="Y", marketing_consent=True, placed_at=placed)
        no = Order.objects.create(shop=shop, number="N", marketing_consent=False, placed_at=placed)
        apps = migrate(AFTER)
        Order = apps.get_model("shipments", "Order")
        after = {order.number: order for order in Order.objects.filter(shop_id=shop.pk)}
        assert (after["Y"].email_marketing_consent, after["Y"].email_marketing_consent_at) == (True, yes.created_at)
        assert (after["N"].email_marketing_consent, after["N"].email_marketing_consent_at) == (False, None)
        assert not any(order.sms_marketing_consent or order.sms_marketing_consent_at for order in after.values())
        assert no.pk in {order.pk for order in after.values()}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
