"""``manage.py watch_scan --once``: one watchlist scan, printing what opened and resolved."""

from django.core.management.base import BaseCommand, CommandError

from watchlist.services import watch_scan


class Command(BaseCommand):
    help = "Run one watchlist scan (new and due parcels) and print the incidents it opened and resolved."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="Run one scan and exit (the only mode)")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if not options["once"]:
            raise CommandError("Pass --once (the beat task watchlist.scan runs it periodically).")
        outcome = watch_scan()
        for incident in outcome.opened:
            self.stdout.write(f"opened   #{incident.pk} {incident.incident_type} {incident.shipment}")
        for incident in outcome.resolved:
            self.stdout.write(f"resolved #{incident.pk} {incident.incident_type} {incident.shipment}")
        self.stdout.write(f"{len(outcome.opened)} opened, {len(outcome.resolved)} resolved")
