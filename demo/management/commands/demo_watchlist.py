"""``manage.py demo_watchlist``: four parcels of the demo shop whose incidents appear and clear, printed step by step."""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.catalog import DEMO_SHOP
from demo.incidents import WARSAW, demo_incident_story
from shipments.links import order_tracking_url
from shops.models import Shop


class Command(BaseCommand):
    help = "Replay a stuck label, a locker pickup deadline, a failed attempt and a late parcel; print the incidents as they open and clear."

    def handle(self, *args: object, **options: object) -> None:
        shop = Shop.objects.filter(slug=DEMO_SHOP["slug"]).first()
        if shop is None:
            raise CommandError("Seed the demo first (manage.py seed_demo).")
        today = timezone.now().astimezone(WARSAW).date()
        # A whole past week, so every step has happened by now.
        monday = datetime.combine(today - timedelta(days=today.weekday() + 14), time(0), tzinfo=WARSAW)
        with transaction.atomic():
            shop.orders.filter(number__startswith="WL-").delete()
            demo_incident_story(shop=shop, monday=monday, say=self.stdout.write)
        for order in shop.orders.filter(number__startswith="WL-").order_by("number"):
            self.stdout.write(f"{order.number}: {order_tracking_url(order)}")
