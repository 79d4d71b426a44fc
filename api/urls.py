"""URLs of the api app, mounted under /api/: the v1 API, its OpenAPI document and docs page.

Errors the router itself produces (unknown path, method not allowed) are problem JSON too.
"""

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path

from api.docs import docs_asset
from api.problems import problem_response
from api.views import api

app_name = "api"


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown URLs under the API answer in problem JSON, not with an HTML page."""
    return problem_response(status=404, detail="No such API endpoint.", slug="not-found")


def _method_not_allowed_as_problem(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            return problem_response(
                status=405,
                detail=f"{request.method} is not allowed here; use {allowed}.",
                slug="method-not-allowed",
                headers={"Allow": allowed},
            )
        return response

    return wrapper


def _v1_patterns() -> tuple[list, str, str]:
    patterns, app, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _method_not_allowed_as_problem(pattern.callback)
    return patterns, app, namespace


urlpatterns = [
    path("v1/docs/assets/<str:name>", docs_asset, name="docs-asset"),
    path("v1/", _v1_patterns()),
    re_path(r"^(?P<rest>.*)$", not_found),
]
