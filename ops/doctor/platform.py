"""Doctor checks of the platform: production settings, database, Redis, broker, migrations."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.core import checks as django_checks
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from ops.doctor import Finding, Level
from ops.probes import probe

AREA = "platform"
# Versions we test against; older ones may work but are not supported.
MIN_POSTGRES = 14
MIN_REDIS = 6


def check_settings() -> Iterator[Finding]:
    """Production mode, secrets and hardening (Django's own ``check --deploy`` included)."""
    if not settings.PRODUCTION:
        yield Finding(
            AREA, "environment", Level.WARNING, f"DJANGO_ENV={settings.DJANGO_ENV}", "Set DJANGO_ENV=production"
        )
    else:
        yield Finding(AREA, "environment", Level.OK, "production")
    if settings.PRODUCTION and settings.EMAIL_BACKEND == "notifications.backends.OutboxEmailBackend":
        yield Finding(
            AREA,
            "email backend",
            Level.ERROR,
            "emails are only stored in the database, never sent",
            "Set EMAIL_BACKEND to an anymail ESP and its ANYMAIL_* credentials",
        )
    if settings.PRODUCTION and not settings.PUBLIC_BASE_URL.startswith("https://"):
        yield Finding(AREA, "public URL", Level.ERROR, settings.PUBLIC_BASE_URL, "PUBLIC_BASE_URL must be https://")
    if settings.METRICS_TOKEN:
        yield Finding(AREA, "metrics", Level.OK, "/metrics protected by a token")
    elif settings.METRICS_ALLOW_UNAUTHENTICATED:
        level = Level.WARNING if settings.PRODUCTION else Level.OK
        yield Finding(
            AREA,
            "metrics",
            level,
            "/metrics answers without a token (requests through a proxy are refused)",
            "Set METRICS_TOKEN, or make sure only Prometheus reaches the app's port",
        )
    else:
        yield Finding(
            AREA, "metrics", Level.WARNING, "/metrics is off", "Set METRICS_TOKEN and give Prometheus the same token"
        )
    if settings.PRODUCTION and not settings.SENTRY_DSN:
        yield Finding(
            AREA, "error tracking", Level.WARNING, "SENTRY_DSN is not set", "Set SENTRY_DSN to a Sentry project"
        )
    messages = django_checks.run_checks(include_deployment_checks=settings.PRODUCTION)
    for message in messages:
        level = Level.ERROR if message.is_serious() else Level.WARNING
        yield Finding(AREA, f"django {message.id}", level, str(message.msg), message.hint or "See Django's check docs")
    if not messages:
        yield Finding(
            AREA, "django checks", Level.OK, "no issues" + (" (with --deploy)" if settings.PRODUCTION else "")
        )


def check_services() -> Iterator[Finding]:
    """Database, Redis and broker answer, in supported versions; production needs PostgreSQL and Redis."""
    database = probe("database", timeout=5)
    if not database.ok:
        yield Finding(AREA, "database", Level.ERROR, database.error, "Check DATABASE_URL and that PostgreSQL runs")
    elif database.version.startswith("sqlite"):
        level = Level.ERROR if settings.PRODUCTION else Level.OK
        yield Finding(AREA, "database", level, database.version, "Set DATABASE_URL to PostgreSQL for production")
    else:
        major = int(database.version.split()[1].split(".")[0])
        level = Level.OK if major >= MIN_POSTGRES else Level.WARNING
        yield Finding(AREA, "database", level, database.version, f"Upgrade to PostgreSQL {MIN_POSTGRES} or newer")
    redis = probe("redis", timeout=5)
    if not redis.ok:
        yield Finding(AREA, "redis", Level.ERROR, redis.error, "Check REDIS_URL and that Redis runs")
    elif not settings.REDIS_URL:
        level = Level.ERROR if settings.PRODUCTION else Level.OK
        yield Finding(AREA, "redis", level, redis.version, "Set REDIS_URL: cache, broker and rate limits need Redis")
    else:
        major = int(redis.version.split()[1].split(".")[0] or 0)
        level = Level.OK if major >= MIN_REDIS else Level.WARNING
        yield Finding(AREA, "redis", level, redis.version, f"Upgrade to Redis {MIN_REDIS} or newer")
    broker = probe("broker", timeout=5)
    if broker.ok:
        yield Finding(AREA, "broker", Level.OK, broker.version)
    else:
        yield Finding(AREA, "broker", Level.ERROR, broker.error, "Check CELERY_BROKER_URL / REDIS_URL")


def check_migrations() -> Iterator[Finding]:
    """Every migration is applied; the missing ones are named."""
    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    missing = [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]
    if missing:
        yield Finding(
            AREA,
            "migrations",
            Level.ERROR,
            f"{len(missing)} not applied: {', '.join(missing)}",
            "Run `manage.py migrate`, then restart web and workers",
        )
    else:
        yield Finding(AREA, "migrations", Level.OK, "all applied")


CHECKS = (check_settings, check_services, check_migrations)
