"""URLs of the notifications app: the unsubscribe page and anymail's ESP tracking webhooks."""

from django.urls import include, path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Anymail's webhooks per ESP (e.g. /webhooks/esp/postmark/tracking/), basic auth by ANYMAIL_WEBHOOK_SECRET.
    path("webhooks/esp/", include("anymail.urls")),
]
