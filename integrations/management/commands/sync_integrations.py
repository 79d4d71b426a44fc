"""``manage.py sync_integrations --once [--shop SLUG]``: run the shop connectors' pollers once and say what came."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import ShopConnection
from integrations.sync import connection_sync, connections_due


class Command(BaseCommand):
    help = "Poll every shop connection once (BaseLinker journal, WooCommerce back-fill) and print what it imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run once and exit (the only mode; beat runs it)")
        parser.add_argument("--shop", help="Only this shop's connections (its slug)")

    def handle(self, *args: object, **options: object) -> None:
        if not options["once"]:
            raise CommandError("Give --once: the beat runs the pollers continuously (integrations.sync_due).")
        if options["shop"]:
            # One shop: every enabled connection of it, so a paused one says why it was skipped.
            connections = list(
                ShopConnection.objects.filter(shop__slug=options["shop"], enabled=True).select_related("shop")
            )
        else:
            connections = connections_due()
        if not connections:
            self.stdout.write("No connection to sync.")
            return
        for connection in connections:
            report = connection_sync(connection=connection)
            self.stdout.write(report.summary())
            for problem in report.problems[:20]:
                self.stdout.write(f"  problem: {problem}")
