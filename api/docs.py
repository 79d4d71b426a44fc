"""The browsable API docs: Swagger UI from the copy django-ninja ships, served by us.

ninja's own docs page loads Swagger UI from a CDN unless ``ninja`` is an installed app; this page
makes no third-party request at all (the online validator badge is switched off too), so it works
offline and leaks nothing about who reads the docs.
"""

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

_ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}swagger-ui.css">
  <link rel="icon" href="{assets}favicon.png">
</head>
<body>
  <script type="application/json" id="swagger-settings">{settings}</script>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script src="{assets}swagger-ui-init.js"></script>
</body>
</html>
"""


class LocalSwagger(DocsBase):
    """Swagger UI with every asset served from this server."""

    def render_page(self, request: HttpRequest, api: ninja.NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": reverse(f"{api.urls_namespace}:openapi-json"),
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,
            "persistAuthorization": False,
        }
        assets = reverse("api:docs-asset", kwargs={"name": "x"}).removesuffix("x")
        # "</" cannot end the JSON script element early once escaped.
        settings_json = json.dumps(settings).replace("</", "<\\/")
        page = _PAGE.format(title=escape(api.title), assets=assets, settings=settings_json)
        response = HttpResponse(page)
        response["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'"
        )
        return response


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of the Swagger UI files bundled with django-ninja (a fixed allow-list, no paths)."""
    content_type = _ASSETS.get(name)
    if content_type is None:
        raise Http404("No such asset.")
    response = FileResponse((_ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
