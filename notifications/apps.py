from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.signals import tracking

        from notifications.receivers import record_esp_event

        # The one signal receiver in the project: anymail offers its webhooks only as a signal.
        tracking.connect(record_esp_event, dispatch_uid="notifications.record_esp_event")
