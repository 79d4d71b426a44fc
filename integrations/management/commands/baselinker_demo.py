"""``manage.py baselinker_demo --shop SLUG --port N``: the demo's fake BaseLinker, and the shop's connection to it.

Seeds (or resets) ``SLUG``'s BaseLinker connection with the fake's token, then serves the fake on
loopback until stopped: a new order with a parcel arrives every ``--every`` seconds, so the demo
shows orders arriving by themselves. Workers reach it through ``BASELINKER_API_URL`` (``run_demo``
sets it).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import Platform, ShopConnection
from integrations.simulator.baselinker import FakeBaseLinker, make_server_for
from shops.models import Shop

DEMO_TOKEN = "demo-baselinker-token"  # noqa: S105 - the loopback fake's token, not a secret
DEMO_NAME = "Demo BaseLinker (loopback fake)"


class Command(BaseCommand):
    help = "Serve a fake BaseLinker on loopback and connect the shop to it (the demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="The shop's slug")
        parser.add_argument("--port", type=int, default=8098)
        parser.add_argument("--every", type=float, default=20.0, help="Seconds between new orders")

    def handle(self, *args: object, **options: object) -> None:
        shop = Shop.objects.filter(slug=options["shop"]).first()
        if shop is None:
            raise CommandError(f"No shop {options['shop']!r}; seed the demo first.")
        server = make_server_for(
            FakeBaseLinker(token=DEMO_TOKEN), port=int(options["port"]), every=float(options["every"])
        )  # type: ignore[arg-type]
        # A fresh fake has a fresh journal: start over with a first import (repeats are harmless).
        ShopConnection.objects.update_or_create(
            shop=shop,
            platform=Platform.BASELINKER,
            name=DEMO_NAME,
            defaults={
                "api_token": DEMO_TOKEN,
                "cursor": "",
                "first_import_days": 1,
                "enabled": True,
                "paused_until": None,
            },
        )
        self.stdout.write(f"Fake BaseLinker on http://127.0.0.1:{server.server_port}/connector.php for {shop.slug}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
