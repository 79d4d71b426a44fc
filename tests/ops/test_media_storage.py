"""Media on S3-compatible storage when MEDIA_S3_BUCKET is set (a loopback fake S3 here), local otherwise;
media_backup exports and imports it either way."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from tests.ops.fake_s3 import FakeS3

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys, django
from pathlib import Path
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from ops.media_backup import media_export, media_import
folder = Path(sys.argv[2])
if sys.argv[1] == "save-and-export":
    photo = default_storage.save("returns/photos/parcel.jpg", ContentFile(b"photo-bytes"))
    logo = default_storage.save("shops/logos/ziarno.png", ContentFile(b"logo-bytes"))
    print(json.dumps({"backend": type(storages["default"]).__name__, "photo": default_storage.url(photo),
                      "logo": default_storage.url(logo), "exported": media_export(target=folder)}))
else:
    print(json.dumps({"imported": media_import(source=folder),
                      "photo": default_storage.open("returns/photos/parcel.jpg").read().decode()}))
"""


def _run(step: str, folder: Path, env: dict[str, str], tmp_path: Path) -> dict:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "MEDIA_", "AWS_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "PARCELFRONT_VAR_DIR": str(tmp_path / "var"), **env})
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, step, str(folder)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def fake_s3():
    server = FakeS3()
    yield server
    server.close()


def test_s3_media_is_private_except_brand_images_and_round_trips_through_a_backup(fake_s3, tmp_path):
    env = {
        "MEDIA_S3_BUCKET": "pf-media",
        "MEDIA_S3_ENDPOINT_URL": fake_s3.url,
        "MEDIA_S3_REGION": "eu-central-1",
        "MEDIA_S3_ACCESS_KEY_ID": "test-access-key",
        "MEDIA_S3_SECRET_ACCESS_KEY": "test-secret-key",
    }
    backup = tmp_path / "backup"

    # when a return photo and a logo are saved, and media is exported
    saved = _run("save-and-export", backup, env, tmp_path)

    # then both live in the bucket under the media prefix, not on disk
    assert saved["backend"] == "MediaStorage"
    assert set(fake_s3.objects) == {
        ("pf-media", "media/returns/photos/parcel.jpg"),
        ("pf-media", "media/shops/logos/ziarno.png"),
    }
    assert not (tmp_path / "var" / "media" / "returns").exists()
    # the photo (personal data) only by a signed, expiring URL; the logo by a plain one emails can keep
    photo = urlsplit(saved["photo"])
    assert photo.path == "/pf-media/media/returns/photos/parcel.jpg"
    assert {"X-Amz-Signature", "X-Amz-Expires"} <= set(parse_qs(photo.query))
    assert parse_qs(photo.query)["X-Amz-Expires"] == ["3600"]
    assert saved["logo"] == f"{fake_s3.url}/pf-media/media/shops/logos/ziarno.png"
    # every request was signed with the configured key, and without the newer checksums S3-compatibles refuse
    assert all("test-access-key" in headers.get("Authorization", "") for _, _, headers in fake_s3.requests)
    assert not any("x-amz-checksum-crc32" in {k.lower() for k in headers} for _, _, headers in fake_s3.requests)
    # and the backup holds both files
    assert (backup / "returns/photos/parcel.jpg").read_bytes() == b"photo-bytes"
    assert saved["exported"] == 2

    # when the bucket is lost and the backup restored
    fake_s3.objects.clear()
    restored = _run("import", backup, env, tmp_path)

    # then everything is back under its own name
    assert restored == {"imported": 2, "photo": "photo-bytes"}
    assert set(fake_s3.objects) == {
        ("pf-media", "media/returns/photos/parcel.jpg"),
        ("pf-media", "media/shops/logos/ziarno.png"),
    }


def test_without_a_bucket_media_stays_in_the_local_folder_and_backs_up_the_same_way(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    name = default_storage.save("returns/photos/local.jpg", ContentFile(b"local-photo"))
    assert (tmp_path / "media" / name).read_bytes() == b"local-photo"

    call_command("media_backup", "export", str(tmp_path / "backup"), stdout=io.StringIO())
    default_storage.delete(name)
    call_command("media_backup", "import", str(tmp_path / "backup"), stdout=io.StringIO())

    assert (tmp_path / "media" / name).read_bytes() == b"local-photo"


def test_importing_from_a_missing_folder_is_a_clear_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a folder"):
        call_command("media_backup", "import", str(tmp_path / "nowhere"))
