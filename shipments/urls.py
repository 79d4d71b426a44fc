"""URLs of the shipments app: carrier push webhooks."""

from django.urls import path

from shipments.webhooks import carrier_push

app_name = "shipments"
urlpatterns = [
    path("webhooks/carriers/<slug:carrier>/<slug:shop_slug>/", carrier_push, name="carrier_push"),
    path("webhooks/carriers/<slug:carrier>/<slug:shop_slug>", carrier_push, name="carrier_push_no_slash"),
]
