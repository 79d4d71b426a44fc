"""deploy/backup.sh and deploy/restore.sh against scratch PostgreSQL databases this test creates and drops."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


def _server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{database}"


@pytest.fixture
def scratch_databases() -> Iterator[tuple[str, str]]:
    names = [f"pf_backup_{role}_{uuid.uuid4().hex[:8]}" for role in ("source", "target")]
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _server_url(names[0]), _server_url(names[1])
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _script(name: str, argument: Path, database_url: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "DATABASE", "MEDIA_"))}
    env.update({"DATABASE_URL": database_url, "PARCELFRONT_VAR_DIR": str(var_dir), "DJANGO_ENV": "development"})
    return subprocess.run(
        [str(ROOT / "deploy" / name), str(argument)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_backup_restores_database_and_media_into_an_empty_deployment(scratch_databases, tmp_path):
    source_url, target_url = scratch_databases
    # given a database with rows (one customer name with Polish letters) and media files
    with psycopg.connect(source_url, autocommit=True) as source:
        source.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL)")
        source.execute("INSERT INTO orders VALUES (1, 'Zażółć Gęślą'), (2, 'Anna')")
    source_media = tmp_path / "source" / "media"
    (source_media / "returns" / "photos").mkdir(parents=True)
    (source_media / "returns" / "photos" / "parcel.jpg").write_bytes(b"\xff\xd8photo")
    (source_media / "shops" / "logos").mkdir(parents=True)
    (source_media / "shops" / "logos" / "ziarno.png").write_bytes(b"\x89PNGlogo")

    # when it is backed up, and restored into an empty database and an empty media folder
    backup = _script("backup.sh", tmp_path / "backups", source_url, tmp_path / "source")
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    restore = _script("restore.sh", folder, target_url, tmp_path / "target")
    assert restore.returncode == 0, restore.stderr

    # then the rows and the files are all there
    with psycopg.connect(target_url) as target:
        rows = target.execute("SELECT id, customer FROM orders ORDER BY id").fetchall()
    assert rows == [(1, "Zażółć Gęślą"), (2, "Anna")]
    target_media = tmp_path / "target" / "media"
    assert (target_media / "returns" / "photos" / "parcel.jpg").read_bytes() == b"\xff\xd8photo"
    assert (target_media / "shops" / "logos" / "ziarno.png").read_bytes() == b"\x89PNGlogo"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_damaged_backup_is_refused_before_anything_is_touched(scratch_databases, tmp_path):
    source_url, target_url = scratch_databases
    with psycopg.connect(source_url, autocommit=True) as source:
        source.execute("CREATE TABLE orders (id bigint PRIMARY KEY)")
        source.execute("INSERT INTO orders VALUES (1)")
    with psycopg.connect(target_url, autocommit=True) as target:
        target.execute("CREATE TABLE orders (id bigint PRIMARY KEY)")
        target.execute("INSERT INTO orders VALUES (41), (42)")
    backup = _script("backup.sh", tmp_path / "backups", source_url, tmp_path / "source")
    folder = Path(backup.stdout.strip().splitlines()[-1])
    dump = folder / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-10] + b"corrupted!")

    restore = _script("restore.sh", folder, target_url, tmp_path / "target")

    assert restore.returncode == 2
    assert "the backup is damaged" in restore.stderr
    with psycopg.connect(target_url) as target:
        assert target.execute("SELECT id FROM orders ORDER BY id").fetchall() == [(41,), (42,)]
