"""``manage.py doctor``: what is misconfigured or not running, each with a fix; exit code 1 on any error."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ops.doctor import Level, doctor_run, platform, providers, workers

SECTIONS = {"platform": platform.CHECKS, "workers": workers.CHECKS, "providers": providers.CHECKS}


class Command(BaseCommand):
    help = "Check settings, services, migrations, beat, workers, carrier accounts, ESP and SMS credentials, domains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", choices=sorted(SECTIONS), action="append", help="Run only these sections (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sections = options["only"] or list(SECTIONS)
        styles = {Level.OK: self.style.SUCCESS, Level.WARNING: self.style.WARNING, Level.ERROR: self.style.ERROR}
        counts = dict.fromkeys(Level, 0)
        for section in sections:
            self.stdout.write(self.style.MIGRATE_HEADING(section))
            for finding in doctor_run(SECTIONS[section]):
                counts[finding.level] += 1
                line = f"  {styles[finding.level](f'{finding.level.value:<7}')} {finding.name}: {finding.detail}"
                self.stdout.write(line)
                if finding.level != Level.OK and finding.fix:
                    self.stdout.write(f"          fix: {finding.fix}")
        summary = f"{counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), {counts[Level.OK]} ok"
        self.stdout.write(summary)
        if counts[Level.ERROR]:
            raise SystemExit(1)
