"""The probes a load balancer and an orchestrator call: ``/healthz`` and ``/readyz``.

They are answered by ``ops.middleware`` before host validation and the HTTPS redirect (a load balancer
asks by address over plain HTTP), never cached, and say nothing a stranger could use: no hostnames,
versions, errors or counts — only which part is failing.
"""

from __future__ import annotations

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


VIEWS = {"/healthz": healthz, "/readyz": readyz}
