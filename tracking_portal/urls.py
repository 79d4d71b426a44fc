"""URLs of the tracking_portal app."""

app_name = "tracking_portal"
urlpatterns: list = []
