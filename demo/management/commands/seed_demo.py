"""``manage.py seed_demo``: the demo shops, catalog, customers and parcels."""

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from demo.history import demo_history_seed
from demo.services import demo_seed


class Command(BaseCommand):
    help = "Create the demo shop 'Palarnia Ziarno' (and a second shop) with orders whose parcels are due to poll."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", action="store_true", help="Keep existing demo data instead of replacing it")

    def handle(self, *args: object, **options: bool) -> None:
        seeded = demo_seed(reset=not options["keep"])
        shipments = sum(order.shipments.count() for order in seeded.orders)
        history = demo_history_seed(shop=seeded.shop, now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo shop {seeded.shop.name}: {len(seeded.orders)} orders, {shipments} parcels, "
                f"{history} finished parcels of history for the analytics"
            )
        )
