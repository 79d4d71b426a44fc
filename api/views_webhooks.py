"""Webhook endpoint management in the v1 API: register, list, remove, send a test event."""

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from api.idempotency import idempotent_write
from api.models import WebhookEndpoint
from api.problems import ApiProblem
from api.schemas import (
    ERRORS,
    IDEMPOTENCY_PARAMETER,
    Problem,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookTestOut,
)
from api.services import webhook_endpoint_create, webhook_endpoint_delete, webhook_test_send

router = Router(tags=["webhooks"])
EndpointId = Path(..., ge=1, le=2**63 - 1)


def _endpoint_out(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
    }


def _endpoint_or_404(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(shop=request.shop, pk=endpoint_id).first()  # type: ignore[attr-defined]
    if endpoint is None:
        raise ApiProblem(404, f"No webhook endpoint {endpoint_id} in this shop.", slug="not-found")
    return endpoint


@router.post(
    "/webhook-endpoints",
    response={201: WebhookEndpointCreated, **ERRORS},
    summary="Register a webhook endpoint; the response carries its signing secret",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def webhook_endpoint_add(request: HttpRequest, payload: WebhookEndpointIn) -> tuple[int, WebhookEndpointCreated]:
    endpoint = webhook_endpoint_create(
        shop=request.shop,  # type: ignore[attr-defined]
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
    )
    return 201, WebhookEndpointCreated(**_endpoint_out(endpoint), secret=endpoint.secret)


@router.get(
    "/webhook-endpoints",
    response={200: list[WebhookEndpointOut], 401: Problem, 429: Problem},
    summary="List the shop's webhook endpoints",
)
def webhook_endpoint_list(request: HttpRequest) -> list[WebhookEndpointOut]:
    endpoints = WebhookEndpoint.objects.filter(shop=request.shop).order_by("pk")  # type: ignore[attr-defined]
    return [WebhookEndpointOut(**_endpoint_out(endpoint)) for endpoint in endpoints]


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    response={204: None, 401: Problem, 404: Problem, 422: Problem, 429: Problem},
    summary="Remove a webhook endpoint (its pending deliveries are dropped)",
)
def webhook_endpoint_remove(request: HttpRequest, endpoint_id: int = EndpointId) -> HttpResponse:
    webhook_endpoint_delete(endpoint=_endpoint_or_404(request, endpoint_id))
    return HttpResponse(status=204)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    response={202: WebhookTestOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Queue a signed webhook.test event to this endpoint",
)
@idempotent_write
def webhook_endpoint_test(request: HttpRequest, endpoint_id: int = EndpointId) -> tuple[int, WebhookTestOut]:
    endpoint = _endpoint_or_404(request, endpoint_id)
    if not endpoint.is_active:
        raise ApiProblem(409, "The endpoint is disabled; enable it in the admin first.", slug="conflict")
    return 202, WebhookTestOut(event_id=webhook_test_send(endpoint=endpoint).event_id)
