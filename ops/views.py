"""The probes a load balancer, an orchestrator and Prometheus call: ``/healthz``, ``/readyz``, ``/metrics``.

They are answered by ``ops.middleware`` before host validation and the HTTPS redirect (a load balancer
asks by address over plain HTTP), never cached, and say nothing a stranger could use: no hostnames,
versions, errors or counts — only which part is failing.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from ops.probes import probes_run

NO_STORE = {"Cache-Control": "no-store"}


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving; touches nothing else, so a Redis outage never restarts web workers."""
    return JsonResponse({"status": "alive"}, headers=NO_STORE)


def readyz(request: HttpRequest) -> HttpResponse:
    """200 when the database, Redis and the broker answer within ``READYZ_TIMEOUT_SECONDS``; 503 naming the failing part."""
    results = probes_run()
    failing = [result.name for result in results if not result.ok]
    body = {
        "status": "unavailable" if failing else "ready",
        "checks": {result.name: "ok" if result.ok else "unreachable" for result in results},
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200, headers=NO_STORE)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition of every process's metrics; needs ``Authorization: Bearer <METRICS_TOKEN>``.

    Without a token it answers only when ``METRICS_ALLOW_UNAUTHENTICATED`` says the app's port is reachable from
    the internal network alone (a private bind; the development default), and never to a request that came through
    a proxy (``X-Forwarded-For``/``Forwarded``); otherwise a 404, so nothing is advertised.
    """
    if not _metrics_allowed(request):
        return HttpResponse(status=404, headers=NO_STORE)
    from ops.exposition import metrics_exposition

    content, content_type = metrics_exposition()
    return HttpResponse(content, content_type=content_type, headers=NO_STORE)


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
        return settings.METRICS_ALLOW_UNAUTHENTICATED and not proxied
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


VIEWS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}
