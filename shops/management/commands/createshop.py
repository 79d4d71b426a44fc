"""``manage.py createshop``: a shop, its owner and a first API key, printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shops.models import LANGUAGE_CHOICES
from shops.services import shop_create


class Command(BaseCommand):
    help = "Create a shop with an owner account and an API key (the key is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="URL name of the shop, e.g. kawiarnia-ziarno")
        parser.add_argument("--name", required=True, help="Display name of the shop")
        parser.add_argument("--owner-email", required=True, help="Email of the owner (an existing user is reused)")
        parser.add_argument("--owner-password", help="Password for a new owner account (else: unusable)")
        parser.add_argument("--locale", default="pl", choices=[code for code, _ in LANGUAGE_CHOICES])
        parser.add_argument("--timezone", default="Europe/Warsaw", help="IANA time zone, e.g. Europe/Warsaw")

    def handle(self, *args: object, **options: str) -> None:
        try:
            created = shop_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=options["owner_password"],
                locale=options["locale"],
                timezone_name=options["timezone"],
            )
        except ValidationError as error:
            details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            raise CommandError(f"Shop not created: {details}") from error
        self.stdout.write(self.style.SUCCESS(f"Created shop {created.shop.slug!r} (id {created.shop.pk})"))
        self.stdout.write(f"Owner: {created.owner.email}")
        self.stdout.write(f"API key (shown once, store it now): {created.issued_key.raw_key}")
