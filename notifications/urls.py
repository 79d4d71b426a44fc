"""URLs of the notifications app: the unsubscribe page, shops' own ESP webhooks and the platform ESP's."""

from django.urls import include, path

from notifications import views
from notifications.sms import views as sms_views

app_name = "notifications"
urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # The customer's contact preferences (email/SMS, service/marketing), linked from every message; short for SMS.
    path("m/<str:token>/", sms_views.preferences, name="preferences"),
    # SMS gateways' delivery reports and replies; the token names the platform's account or one shop's.
    path("webhooks/sms/<slug:provider>/<str:token>/", sms_views.sms_report, name="sms_report"),
    # A shop's own ESP account posts here, with that shop's basic-auth secret (shown in its email settings).
    path("webhooks/esp/<slug:provider>/<str:token>/tracking/", views.shop_esp_tracking, name="shop_esp_tracking"),
    # The platform ESP's webhooks (e.g. /webhooks/esp/postmark/tracking/), basic auth by ANYMAIL_WEBHOOK_SECRET.
    path("webhooks/esp/", include("anymail.urls")),
]
