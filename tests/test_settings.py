"""Settings: embedded by default, real services by URL, production refuses to start half-configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "from config.celery import app; print(json.dumps({"
    "'db': settings.DATABASES['default']['ENGINE'], 'db_name': str(settings.DATABASES['default']['NAME']), "
    "'cache': settings.CACHES['default']['BACKEND'], 'broker': app.conf.broker_url.split(':')[0], "
    "'email': settings.EMAIL_BACKEND, 'debug': settings.DEBUG, 'env': settings.DJANGO_ENV, "
    "'queues': sorted(q.name for q in app.conf.task_queues), 'acks_late': app.conf.task_acks_late, "
    "'reject_lost': app.conf.task_reject_on_worker_lost, 'serializer': app.conf.task_serializer, "
    "'accept': app.conf.accept_content, 'hard': app.conf.task_time_limit, 'soft': app.conf.task_soft_time_limit, "
    "'visibility': app.conf.broker_transport_options.get('visibility_timeout')}))"
)
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "track.example.com",
    "DATABASE_URL": "postgres://parcelfront@127.0.0.1:5432/parcelfront",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PUBLIC_BASE_URL": "https://track.example.com",
    "ANYMAIL_WEBHOOK_SECRET": "esp:production-webhook-secret",
}


def _run(code_or_args: str | list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "DATABASE", "REDIS"))}
    clean.pop("PYTEST_VERSION", None)
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "PARCELFRONT_VAR_DIR": str(tmp_path), **env})
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [sys.executable, *code_or_args]
    return subprocess.run(args, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_nothing_set_runs_embedded(tmp_path):
    result = _run(PROBE, {}, tmp_path)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["env"] == "development"
    assert probe["db"] == "django.db.backends.sqlite3"
    assert probe["db_name"] == str(tmp_path / "parcelfront.sqlite3")
    assert probe["broker"] == "filesystem"
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert probe["email"] == "notifications.backends.OutboxEmailBackend"
    assert (tmp_path / "celery" / "queue").is_dir()


def test_celery_is_json_only_with_queues_limits_and_late_acks(tmp_path):
    probe = json.loads(_run(PROBE, {}, tmp_path).stdout)
    assert probe["queues"] == ["campaigns", "carriers", "default", "emails"]
    assert probe["serializer"] == "json"
    assert probe["accept"] == ["json"]
    assert probe["acks_late"] is True
    assert probe["reject_lost"] is True
    assert 0 < probe["soft"] < probe["hard"]


def test_database_and_redis_urls_switch_to_the_real_services(tmp_path):
    result = _run(
        PROBE,
        {"DATABASE_URL": "postgres://u@127.0.0.1:5432/parcelfront", "REDIS_URL": "redis://127.0.0.1:6379/3"},
        tmp_path,
    )
    probe = json.loads(result.stdout)
    assert probe["db"] == "django.db.backends.postgresql"
    assert probe["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert probe["broker"] == "redis"
    # The visibility timeout must outlast the longest task, or a running task is delivered twice.
    assert probe["visibility"] > probe["hard"]


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "ANYMAIL_WEBHOOK_SECRET"]
)
def test_production_refuses_to_start_without_each_required_setting(tmp_path, missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = _run(PROBE, env, tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_production_passes_check_deploy_at_warning_level(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_unknown_environment_name_is_refused(tmp_path):
    result = _run(PROBE, {"DJANGO_ENV": "staging"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_ENV must be development, test or production" in result.stderr


def test_polling_time_scale_is_refused_in_production(tmp_path):
    result = _run(PROBE, {**PRODUCTION_ENV, "POLLING_TIME_SCALE": "0.01"}, tmp_path)
    assert result.returncode != 0
    assert "POLLING_TIME_SCALE must be in (0, 1], and 1 in production" in result.stderr
