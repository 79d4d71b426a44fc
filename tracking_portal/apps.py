"""Public pages: the order tracking page, the lookup form and the embeddable widget."""

import atexit

from django.apps import AppConfig


class TrackingPortalConfig(AppConfig):
    name = "tracking_portal"
    verbose_name = "Tracking portal"

    def ready(self) -> None:
        from tracking_portal.security import install_token_filter
        from tracking_portal.services import page_views_flush_at_exit

        # Request paths carry the page tokens; mask them in every log that prints paths.
        install_token_filter()
        # Page views are buffered per process; a worker that exits (restart, scale-down) writes its last ones.
        atexit.register(page_views_flush_at_exit)
