"""URLs of the customer's feedback page: /f/<signed score-link token> (GET shows, POST records)."""

from django.urls import re_path

from feedback import views

app_name = "feedback"

# django.core.signing.Signer output: the order id, ":" and a 43-character HMAC-SHA256 signature.
TOKEN_PATTERN = r"(?P<token>[0-9]{1,19}:[A-Za-z0-9_-]{43})"  # noqa: S105 (a URL pattern, not a secret)

urlpatterns = [
    re_path(rf"^f/{TOKEN_PATTERN}$", views.page, name="page"),
]
