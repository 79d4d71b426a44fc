"""URLs of the tracking portal: /t/<order token>, /p/<parcel token>, the lookup forms, the admin preview."""

from django.urls import path, re_path

from tracking_portal import views

app_name = "tracking_portal"

# Tokens are URL-safe base64 (secrets.token_urlsafe); the pattern keeps ".json" out of the token.
TOKEN_PATTERN = r"(?P<token>[A-Za-z0-9_-]{16,86})"  # noqa: S105 (a URL pattern, not a secret)

urlpatterns = [
    re_path(rf"^t/{TOKEN_PATTERN}\.json$", views.order_json, name="json"),
    re_path(rf"^t/{TOKEN_PATTERN}$", views.order_page, name="page"),
    re_path(rf"^t/{TOKEN_PATTERN}/go/carrier/(?P<index>[0-9]{{1,3}})$", views.go_carrier, name="go_carrier"),
    re_path(rf"^t/{TOKEN_PATTERN}/go/support$", views.go_support, name="go_support"),
    re_path(rf"^p/{TOKEN_PATTERN}$", views.parcel_page, name="parcel"),
    re_path(rf"^p/{TOKEN_PATTERN}/go/carrier$", views.parcel_go_carrier, name="parcel_go_carrier"),
    path("track", views.domain_lookup, name="domain_lookup"),
    path("portal/preview/<int:shop_id>/", views.preview, name="preview"),
    path("<slug:shop_slug>/track", views.lookup, name="lookup"),
]
