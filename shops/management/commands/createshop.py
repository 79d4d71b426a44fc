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
        parser.add_argument(
            "--owner-email",
            required=True,
            help="Email of the owner. An existing account is reused only when proven (a superuser, an accepted "
            "invitation, or --existing-owner); otherwise an owner invitation is emailed to it.",
        )
        parser.add_argument(
            "--owner-password", help="Password for a new owner account (else the owner is emailed a set-password link)"
        )
        parser.add_argument(
            "--existing-owner",
            action="store_true",
            help="You checked that the existing account with this email belongs to the owner: make it owner now.",
        )
        parser.add_argument("--locale", default="pl", choices=[code for code, _ in LANGUAGE_CHOICES])
        parser.add_argument("--timezone", default="Europe/Warsaw", help="IANA time zone, e.g. Europe/Warsaw")

    def handle(self, *args: object, **options: object) -> None:
        try:
            created = shop_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=options["owner_password"],
                trust_existing_owner=bool(options["existing_owner"]),
                locale=options["locale"],
                timezone_name=options["timezone"],
            )
        except ValidationError as error:
            details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            raise CommandError(f"Shop not created: {details}") from error
        self.stdout.write(self.style.SUCCESS(f"Created shop {created.shop.slug!r} (id {created.shop.pk})"))
        if created.owner is not None:
            self.stdout.write(f"Owner: {created.owner.email}")
        if created.owner_invitation is not None:
            invitation = created.owner_invitation
            self.stdout.write(
                f"Owner invitation emailed to {invitation.email} (valid until {invitation.expires_at:%Y-%m-%d %H:%M %Z})"
                + ("" if created.owner else "; the existing account becomes owner when it is accepted")
            )
        self.stdout.write(f"API key (shown once, store it now): {created.issued_key.raw_key}")
