"""Run the campaign beat work once: queue apologies for parcels that became late, publish due emails."""

from django.core.management.base import BaseCommand

from campaigns.dispatch import campaign_dispatches_release, late_parcels_scan


class Command(BaseCommand):
    help = "Queue delay apologies for newly late parcels and hand due campaign emails to notifications, once."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        queued = late_parcels_scan()
        published = campaign_dispatches_release()
        self.stdout.write(f"late-parcel apologies queued: {queued}; due campaign emails published: {published}")
