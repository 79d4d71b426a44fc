"""URLs of the shop connectors: the platforms' webhooks."""

from django.urls import path

from integrations.webhooks import shop_webhook

app_name = "integrations"
urlpatterns = [
    path("webhooks/shops/<slug:platform>/<str:connection_id>/", shop_webhook, name="shop_webhook"),
    path("webhooks/shops/<slug:platform>/<str:connection_id>", shop_webhook, name="shop_webhook_no_slash"),
]
