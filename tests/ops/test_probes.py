"""/healthz says the process lives; /readyz names the dependency that does not answer, and nothing more."""

import pytest


def test_healthz_answers_without_touching_any_dependency(client, settings):
    # No database fixture: pytest-django fails any query. Nothing listens on the Redis URL either.
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a load balancer asks by address
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_everything_answers(client, db):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "broker": "ok"}}


def test_readyz_names_redis_while_its_redis_is_stopped_and_recovers_when_it_is_back(client, db, settings, own_redis):
    settings.REDIS_URL = own_redis.url
    settings.CELERY_BROKER_URL = own_redis.url
    settings.READYZ_TIMEOUT_SECONDS = 0.5
    assert client.get("/readyz").status_code == 200

    own_redis.stop()
    down = client.get("/readyz")

    assert down.status_code == 503
    body = down.json()
    assert body["failing"] == ["redis", "broker"]
    assert body["checks"] == {"database": "ok", "redis": "unreachable", "broker": "unreachable"}
    assert str(own_redis.port) not in down.content.decode()  # no addresses or errors for the public

    own_redis.start()
    assert client.get("/readyz").status_code == 200


def test_readyz_names_the_database_when_it_refuses(client, db, monkeypatch):
    from ops import probes

    def refused(timeout):
        raise ConnectionError("connection to server at 10.1.2.3 refused (password=hunter2)")

    monkeypatch.setitem(probes.PROBES, "database", refused)
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert b"hunter2" not in response.content and b"10.1.2.3" not in response.content


@pytest.mark.parametrize("path", ["/healthz/", "/readyz/"])
def test_probes_accept_a_trailing_slash(client, db, path):
    assert client.get(path).status_code == 200


def test_probe_paths_only_answer_reads(client, db):
    assert client.post("/healthz").status_code == 404
