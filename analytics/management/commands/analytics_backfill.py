"""Rebuild the delivery facts and daily roll-ups from the stored shipments and events."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.rollups import rollups_backfill
from shops.models import Shop


class Command(BaseCommand):
    help = "Re-derive every outbound parcel's analytics fact and rebuild the daily roll-ups (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", action="append", default=[], help="Shop slug (repeatable); default all")

    def handle(self, *args: object, **options: object) -> None:
        shop_ids = None
        if options["shop"]:
            slugs: list[str] = options["shop"]  # type: ignore[assignment]
            shops = dict(Shop.objects.filter(slug__in=slugs).values_list("slug", "pk"))
            unknown = sorted(set(slugs) - set(shops))
            if unknown:
                raise CommandError(f"no shop with slug {', '.join(unknown)}")
            shop_ids = list(shops.values())
        seen = rollups_backfill(shop_ids=shop_ids)
        self.stdout.write(f"analytics backfill: {seen} parcels")
