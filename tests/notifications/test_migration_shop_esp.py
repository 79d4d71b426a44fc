"""Migration 0004: a shop's ESP row survives only as a listed provider with its own credential keys."""

import logging

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0003_verbose_names")]
AFTER = [("notifications", "0004_shop_esp_provider")]


def migrate(targets):
    """Migrate to ``targets`` and return the models as every applied migration (of every app) left them."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def test_disallowed_backends_and_extra_keys_are_cleared_and_logged(caplog):
    # given
    apps = migrate(BEFORE)
    try:
        Shop = apps.get_model("shops", "Shop")
        Settings = apps.get_model("notifications", "NotificationSettings")
        rows = {
            "good": ("anymail.backends.postmark.EmailBackend", {"server_token": "shop-token"}),
            "api-url": ("anymail.backends.postmark.EmailBackend", {"server_token": "t", "api_url": "http://10.0.0.1/"}),
            "no-token": ("anymail.backends.postmark.EmailBackend", {}),
            "other-backend": ("anymail.backends.test.EmailBackend", {}),
            "platform": ("", {}),
        }
        ids = {}
        for slug, (backend, options) in rows.items():
            shop = Shop.objects.create(name=slug, slug=f"esp-{slug}")
            Settings.objects.create(shop=shop, esp_backend=backend, esp_secret_options=options)
            ids[slug] = shop.pk
        # when
        with caplog.at_level(logging.WARNING, logger="notifications.migrations"):
            apps = migrate(AFTER)
        # then
        Settings = apps.get_model("notifications", "NotificationSettings")
        after = {row.shop_id: row for row in Settings.objects.all()}
        good = after[ids["good"]]
        assert (good.esp_provider, good.esp_secret_options) == ("postmark", {"server_token": "shop-token"})
        assert len(good.esp_webhook_token) == 43 and len(good.esp_webhook_secret) == 43
        for slug in ("api-url", "no-token", "other-backend", "platform"):
            row = after[ids[slug]]
            assert (row.esp_provider, row.esp_secret_options, row.esp_webhook_token) == ("", {}, None)
        assert sorted(record.getMessage().split(":")[0] for record in caplog.records) == sorted(
            f"shop {ids[slug]}" for slug in ("api-url", "no-token", "other-backend")
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
