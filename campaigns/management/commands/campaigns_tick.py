"""Run the campaign beat work once: publish the campaign emails that are due."""

from django.core.management.base import BaseCommand

from campaigns.dispatch import campaign_dispatches_release


class Command(BaseCommand):
    help = "Hand due campaign emails (delayed campaigns, delay apologies) to notifications, once."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        published = campaign_dispatches_release()
        self.stdout.write(f"due campaign emails published: {published}")
