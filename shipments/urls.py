"""URLs of the shipments app."""

app_name = "shipments"
urlpatterns: list = []
