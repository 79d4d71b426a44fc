"""URLs of the returns portal: /<shop>/returns (or /returns on a custom domain), the signed start link, /returns/<token>."""

from django.urls import path, re_path

from returns import views

app_name = "returns"

TOKEN_PATTERN = r"(?P<token>[A-Za-z0-9_-]{16,86})"  # noqa: S105 (a URL pattern, not a secret)
# django.core.signing output: base64 payload, timestamp and signature joined by ":".
START_PATTERN = r"(?P<token>[A-Za-z0-9_:-]{20,300})"

urlpatterns = [
    re_path(rf"^returns/{TOKEN_PATTERN}$", views.detail, name="detail"),
    re_path(rf"^returns/{TOKEN_PATTERN}/slip$", views.slip, name="slip"),
    re_path(rf"^returns/{TOKEN_PATTERN}/label\.pdf$", views.label, name="label"),
    path("returns", views.domain_portal, name="domain_portal"),
    re_path(rf"^returns/start/{START_PATTERN}$", views.domain_start, name="domain_start"),
    path("<slug:shop_slug>/returns", views.portal, name="portal"),
    re_path(rf"^(?P<shop_slug>[-a-zA-Z0-9_]+)/returns/start/{START_PATTERN}$", views.start, name="start"),
]
