"""Shared fixtures. Under CI=true the real PostgreSQL and Redis are required, never skipped."""

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests that need a real service only outside CI; in CI a missing service fails the run."""
    if not config.pluginmanager.hasplugin("django"):
        return  # the pure carriers library under -p no:django
    from django.conf import settings

    on_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    has_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = bool(settings.REDIS_URL)
    if on_ci and not (has_postgres and has_redis):
        raise pytest.UsageError("CI=true needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis); refusing to skip")
    for item in items:
        if "postgres" in item.keywords and not has_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))


# Factories import Django models, so they load inside the fixtures: the pure carriers tests
# can then run with ``-p no:django``.


@pytest.fixture
def shop(db):
    from tests.factories import ShopFactory

    return ShopFactory()


@pytest.fixture
def other_shop(db):
    from tests.factories import ShopFactory

    return ShopFactory(name="Other shop")


@pytest.fixture
def owner(shop):
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop, role="owner").user


@pytest.fixture
def marketer(shop):
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop, role="marketer").user


@pytest.fixture
def support(shop):
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop, role="support").user


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(is_superuser=True)


@pytest.fixture
def published(monkeypatch):
    """Every task published through ``config.celery`` (the one seam), as (task name, kwargs); no broker touched."""
    from config.celery import app

    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None, **options: calls.append((name, kwargs)))
    return calls


@pytest.fixture
def broker_log(monkeypatch):
    """A broker connection handed out by ``producer_or_acquire``, and a log of its acquisitions and each publish.

    The log holds ("acquired", None, None) per connection taken and (task name, kwargs, connection) per publish.
    """
    from contextlib import contextmanager

    from config.celery import app

    connection = object()
    sent: list[tuple] = []

    @contextmanager
    def producer_or_acquire(producer=None):
        sent.append(("acquired", None, None))
        yield connection

    monkeypatch.setattr(app, "producer_or_acquire", producer_or_acquire)
    monkeypatch.setattr(
        app, "send_task", lambda name, kwargs=None, **options: sent.append((name, kwargs, options.get("producer")))
    )
    return connection, sent
