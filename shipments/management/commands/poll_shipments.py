"""``manage.py poll_shipments --once``: one dispatcher tick and its batches, run here and now."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carriers.registry import carrier_codes
from shipments.dispatch import BatchReport, poll_batches_plan, shipments_claim_due, shipments_poll_batch
from shops.models import Shop


class Command(BaseCommand):
    help = "Claim due shipments once and poll their carriers synchronously, printing what happened."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one dispatch and its batches, then exit")
        parser.add_argument("--shop", metavar="SLUG", help="Only this shop's shipments")
        parser.add_argument("--carrier", metavar="CODE", help="Only this carrier's shipments")
        parser.add_argument("--limit", type=int, default=5000, help="At most this many shipments (default 5000)")

    def handle(self, *args: object, **options: object) -> None:
        if not options["once"]:
            raise CommandError("give --once (continuous polling is the Celery beat dispatcher's job)")
        limit = options["limit"]
        if not isinstance(limit, int) or limit < 1:
            raise CommandError("--limit must be a positive number")
        carrier = options["carrier"]
        if carrier is not None and carrier not in carrier_codes():
            raise CommandError(f"unknown carrier {carrier!r}; known: {', '.join(carrier_codes())}")
        shop_id = None
        if options["shop"] is not None:
            shop = Shop.objects.filter(slug=options["shop"]).first()
            if shop is None:
                raise CommandError(f"no shop with slug {options['shop']!r}")
            shop_id = shop.pk

        now = timezone.now()
        claimed = shipments_claim_due(now=now, limit=limit, shop_id=shop_id, carrier=carrier)  # type: ignore[arg-type]
        batches = poll_batches_plan(claimed)
        self.stdout.write(f"claimed {len(claimed)} shipment(s) in {len(batches)} batch(es)")
        totals: dict[str, BatchReport] = {}
        for batch in batches:
            report = shipments_poll_batch(
                carrier=batch.carrier, shipment_ids=batch.shipment_ids, account_id=batch.account_id, now=now
            )
            totals.setdefault(batch.carrier, BatchReport(carrier=batch.carrier)).merge(report)
        for code, report in sorted(totals.items()):
            errors = ", ".join(f"{kind}: {count}" for kind, count in sorted(report.errors.items()))
            self.stdout.write(
                f"{code}: fetched {report.fetched}, changed {report.changed}, new events {report.new_events}, "
                f"errors {sum(report.errors.values())}"
                + (f" ({errors})" if errors else "")
                + (f", skipped {report.skipped} (account paused or disabled)" if report.skipped else "")
            )
