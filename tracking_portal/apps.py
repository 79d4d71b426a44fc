"""Public pages: the order tracking page, the lookup form and the embeddable widget."""

from django.apps import AppConfig


class TrackingPortalConfig(AppConfig):
    name = "tracking_portal"
    verbose_name = "Tracking portal"

    def ready(self) -> None:
        from tracking_portal.security import install_token_filter

        # Request paths carry the page tokens; mask them in every log that prints paths.
        install_token_filter()
