from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from analytics.estimates import email_estimate_windows
        from notifications.estimates import estimate_source_register

        # Emails (notifications sits below analytics) ask for learned estimates through this source.
        estimate_source_register(source=email_estimate_windows)
