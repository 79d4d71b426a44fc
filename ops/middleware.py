"""The outermost middleware: answers the probes before anything else looks at the request.

It sits first in ``MIDDLEWARE`` so that ``/healthz`` and ``/readyz`` answer a load balancer asking by IP
over plain HTTP (no ``ALLOWED_HOSTS`` check, no HTTPS redirect, no session).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ops.views import VIEWS


class OpsMiddleware:
    """Answers the probe paths itself; every other request passes through untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = VIEWS.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        return self.get_response(request)
