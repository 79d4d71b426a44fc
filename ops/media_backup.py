"""Copying every media file between the configured storage (local folder or S3 bucket) and a local folder.

The backup script (``deploy/backup.sh``) exports media next to the database dump and restores it the same
way, whichever storage a deployment uses, through Django's storage API only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, default_storage


def media_names(storage: Storage | None = None, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage`` (the media storage by default), depth first."""
    storage = storage or default_storage
    folders, files = storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from media_names(storage, f"{folder}/{sub}" if folder else sub)


def media_export(*, target: Path, storage: Storage | None = None) -> int:
    """Copy every media file into ``target`` (keeping its path); returns how many."""
    storage = storage or default_storage
    count = 0
    for name in media_names(storage):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, destination.open("wb") as copy:
            for chunk in source.chunks():
                copy.write(chunk)
        count += 1
    return count


def media_import(*, source: Path, storage: Storage | None = None) -> int:
    """Put every file under ``source`` into the media storage at the same name, replacing what is there."""
    storage = storage or default_storage
    count = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        if storage.exists(name):
            storage.delete(name)
        with path.open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise RuntimeError(f"media restore stored {name} as {saved}")
        count += 1
    return count
