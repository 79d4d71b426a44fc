from django.apps import AppConfig


class TrackingPortalConfig(AppConfig):
    name = "tracking_portal"
    verbose_name = "Tracking portal"
