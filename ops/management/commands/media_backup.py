"""``manage.py media_backup export|import <folder>``: media to or from a local folder, for backups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.media_backup import media_export, media_import


class Command(BaseCommand):
    help = "Copy every media file (local folder or S3 bucket) to a local folder, or back from it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("direction", choices=["export", "import"])
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if options["direction"] == "export":
            folder.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"exported {media_export(target=folder)} media file(s) to {folder}")
        else:
            if not folder.is_dir():
                raise CommandError(f"{folder} is not a folder")
            self.stdout.write(f"imported {media_import(source=folder)} media file(s) from {folder}")
