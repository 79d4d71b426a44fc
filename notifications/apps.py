from importlib import import_module

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def import_models(self) -> None:
        super().import_models()
        # The SMS channel's models live beside its services (notifications/sms/models.py), in this app.
        import_module("notifications.sms.models")

    def ready(self) -> None:
        from anymail.signals import tracking

        from campaigns.analytics import message_counts_source_register
        from notifications.receivers import record_esp_event
        from notifications.selectors import campaign_message_counts

        # The one signal receiver in the project: anymail offers its webhooks only as a signal.
        tracking.connect(record_esp_event, dispatch_uid="notifications.record_esp_event")
        # campaigns (below us) reports its emails' delivery and opens from our rows through this source.
        message_counts_source_register(source=campaign_message_counts)
