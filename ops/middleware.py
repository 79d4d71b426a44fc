"""The outermost middleware: answers the probes, gives every request an id for the logs, counts requests.

It sits first in ``MIDDLEWARE`` so that ``/healthz``, ``/readyz`` and ``/metrics`` answer a load balancer
or scraper asking by IP over plain HTTP (no ``ALLOWED_HOSTS`` check, no HTTPS redirect, no session).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config import logs, metrics
from ops.views import VIEWS

# A caller's request id is kept when it looks like one (a proxy's or a load balancer's), else we make one.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class OpsMiddleware:
    """Probes first; then a request id in the logging context and the ``X-Request-ID`` header, and the request metric."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = VIEWS.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        started = time.monotonic()
        with logs.request_context(request, request_id):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.request_observed(
            view=match.view_name if match is not None else "<unresolved>",
            status=response.status_code,
            seconds=time.monotonic() - started,
        )
        response.headers.setdefault("X-Request-ID", request_id)
        return response
