"""URLs of the api app, mounted under /api/: the v1 API, its OpenAPI document and docs page."""

from django.urls import path, re_path

from api.docs import docs_asset
from api.problems import problem_response
from api.views import api

app_name = "api"


def not_found(request, rest: str = ""):  # type: ignore[no-untyped-def]
    """Unknown URLs under the API answer in problem JSON too, not with an HTML page."""
    return problem_response(status=404, detail="No such API endpoint.", slug="not-found")


urlpatterns = [
    path("v1/docs/assets/<str:name>", docs_asset, name="docs-asset"),
    path("v1/", api.urls),
    re_path(r"^(?P<rest>.*)$", not_found),
]
