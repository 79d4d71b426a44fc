"""The REST API (v1): ingestion and reads for a shop's developer. Endpoints only call services and selectors.

Every operation is scoped to the API key's shop: another shop's order or shipment is a 404, exactly
like one that does not exist.
"""

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Router
from ninja import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ApiKeyAuth
from api.docs import LocalSwagger
from api.idempotency import idempotent_write
from api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, install_problem_handlers
from api.schemas import (
    ERRORS,
    IDEMPOTENCY_PARAMETER,
    READ_ERRORS,
    EventOut,
    ItemOut,
    OrderIn,
    OrderOut,
    Problem,
    ShipmentDetailOut,
    ShipmentIn,
    ShipmentOut,
    ShipmentPage,
    StatusName,
    Text,
    Timestamp,
)
from api.selectors import InvalidCursor, order_of_shop, shipment_of_shop, shipments_page
from api.views_analytics import router as analytics_router
from api.views_catalog import router as catalog_router
from api.views_feedback import router as feedback_router
from api.views_incidents import router as incidents_router
from api.views_privacy import router as privacy_router
from api.views_returns import router as returns_router
from api.views_webhooks import router as webhooks_router
from shipments.links import order_tracking_url
from shipments.models import Order, Shipment
from shipments.services import order_upsert, shipment_add

API_DESCRIPTION = """
Push a shop's orders and shipments in, read their tracking state back.

* **Authentication:** `Authorization: Bearer <API key>` (keys are issued in the admin, per shop).
* **Safe retries:** send `Idempotency-Key: <unique string>` with every POST. A repeat with the same key and
  body returns the first response (header `Idempotent-Replayed: true`); the same key with another body is a 422.
* **Errors** are problem details (RFC 9457, `application/problem+json`) with `errors: [{field, message}]`.
  Unknown fields are refused; bodies over the size limit get a 413; nothing is stored when a request fails.
* **Rate limit:** per API key per minute; over it you get a 429 with `Retry-After` (seconds).
* **Webhooks:** register a URL with `POST /webhook-endpoints` and keep the returned `whsec_...` secret. Events
  (`shipment.status_changed`, `shipment.exception`, `shipment.delivered`, `shipment.available_for_pickup`,
  `message.bounced`, `return.requested`, `return.approved`, `return.rejected`, `return.label_issued`,
  `return.in_transit`, `return.received`, `return.resolved`, `return.closed`,
  `incident.opened`, `incident.resolved`) are POSTed as `{"type", "timestamp", "data"}` and signed per
  [Standard Webhooks](https://www.standardwebhooks.com/): headers `webhook-id` (stable per event: deduplicate on
  it), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>`); verify with any Standard Webhooks
  library, e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`. Answer 2xx; anything else (or a
  timeout of 10 s) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; then the endpoint is disabled.
  `410 Gone` stops at once. Redirects are not followed; private and loopback addresses are refused.
"""


class ParcelfrontAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document says errors come as ``application/problem+json``."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path_item in document["paths"].values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if int(status) >= 400 and "application/json" in response.get("content", {}):
                        response["content"] = {PROBLEM_CONTENT_TYPE: response["content"]["application/json"]}
        return document


api = ParcelfrontAPI(
    title="Parcelfront API",
    version="1",
    description=API_DESCRIPTION,
    urls_namespace="api:v1",
    docs=LocalSwagger(),
    auth=ApiKeyAuth(),
)
install_problem_handlers(api)

orders = Router(tags=["orders"])
shipments = Router(tags=["shipments"])


def shipment_out(shipment: Shipment, *, with_events: bool = False) -> dict[str, Any]:
    """The API view of a shipment (its order must be loaded)."""
    body: dict[str, Any] = {
        "id": shipment.pk,
        "order_number": shipment.order.number,
        "carrier": shipment.carrier,
        "carrier_confidence": shipment.carrier_confidence,
        "carrier_detected": shipment.carrier_confidence is not None,
        "tracking_number": shipment.tracking_number,
        "direction": shipment.direction,
        "service": shipment.service,
        "status": shipment.status,
        "reason": shipment.reason,
        "status_changed_at": shipment.status_changed_at,
        "eta_from": shipment.eta_from,
        "eta_to": shipment.eta_to,
        "delivered_at": shipment.delivered_at,
        "pickup_point": shipment.pickup_point,
        "tracking_url": order_tracking_url(shipment.order),
        "created_at": shipment.created_at,
        "updated_at": shipment.updated_at,
    }
    if with_events:
        body["events"] = [
            EventOut(
                occurred_at=event.occurred_at,
                status=event.status,
                reason=event.reason,
                raw_code=event.raw_code,
                text=event.text,
                location=event.location,
            )
            for event in shipment.events.all()
        ]
    return body


def order_out(order: Order) -> OrderOut:
    """The API view of an order with items, shipments and events (prefetched by ``order_of_shop``)."""
    return OrderOut(
        number=order.number,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        customer_phone=order.customer_phone,
        shipping_city=order.shipping_city,
        shipping_postcode=order.shipping_postcode,
        shipping_country=order.shipping_country,
        locale=order.locale,
        email_marketing_consent=order.email_marketing_consent,
        email_marketing_consent_at=order.email_marketing_consent_at,
        sms_marketing_consent=order.sms_marketing_consent,
        sms_marketing_consent_at=order.sms_marketing_consent_at,
        marketing_consent=order.email_marketing_consent,
        currency=order.currency,
        total_amount=order.total_amount,
        shipping_method=order.shipping_method,
        placed_at=order.placed_at,
        promised_delivery_date=order.promised_delivery_date,
        tracking_url=order_tracking_url(order),
        items=[
            ItemOut(
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                image_url=item.image_url,
                product_url=item.product_url,
            )
            for item in order.items.all()
        ],
        shipments=[ShipmentDetailOut(**shipment_out(shipment, with_events=True)) for shipment in order.shipments.all()],
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def _order_or_404(request: HttpRequest, number: str) -> Order:
    order = order_of_shop(shop=request.shop, number=number)  # type: ignore[attr-defined]
    if order is None:
        raise ApiProblem(404, f"No order {number!r} in this shop.", slug="not-found")
    return order


def _conflict(error: IntegrityError) -> ApiProblem:
    return ApiProblem(409, "A concurrent request changed the same order; retry it.", slug="conflict")


@orders.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut, **ERRORS, 409: Problem},
    summary="Create or update an order with its items and shipments",
    description=(
        "Creates the order `number` or updates it (201 / 200). `items`, when given, replace the stored items; "
        "`shipments` are added (existing ones are kept). A shipment without `carrier` gets a detected one and "
        "its `carrier_confidence`; a number no carrier can be told from with confidence is a 422 naming the "
        "candidates. All or nothing."
    ),
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def order_put(request: HttpRequest, payload: OrderIn) -> tuple[int, OrderOut]:
    fields = payload.model_dump(exclude={"number", "items", "shipments"})
    legacy_consent = fields.pop("marketing_consent")
    if legacy_consent is not None:  # older clients: their one consent was the email consent
        fields["email_marketing_consent"] = fields["email_marketing_consent"] or legacy_consent
    if fields["placed_at"] is None:
        del fields["placed_at"]
    items = None if payload.items is None else [item.model_dump() for item in payload.items]
    try:
        order, created = order_upsert(
            shop=request.shop,  # type: ignore[attr-defined]
            number=payload.number,
            items=items,
            shipments=[shipment.model_dump() for shipment in payload.shipments],
            **fields,
        )
    except IntegrityError as error:
        raise _conflict(error) from error
    return (201 if created else 200), order_out(_order_or_404(request, order.number))


@orders.get(
    "/orders/{number}",
    response={200: OrderOut, 404: Problem, **READ_ERRORS},
    summary="Read an order with its shipments, their events and the tracking page URL",
)
def order_get(request: HttpRequest, number: str) -> OrderOut:
    return order_out(_order_or_404(request, number))


@orders.post(
    "/orders/{number}/shipments",
    response={200: ShipmentOut, 201: ShipmentOut, 404: Problem, **ERRORS, 409: Problem},
    summary="Add a shipment to an order",
    description="201 with the new shipment, or 200 with the existing one when the number was already added.",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def order_shipment_add(request: HttpRequest, number: str, payload: ShipmentIn) -> tuple[int, ShipmentOut]:
    order = _order_or_404(request, number)
    known_ids = {shipment.pk for shipment in order.shipments.all()}
    try:
        shipment = shipment_add(order=order, **payload.model_dump())
    except IntegrityError as error:
        raise _conflict(error) from error
    shipment.order = order
    return (200 if shipment.pk in known_ids else 201), ShipmentOut(**shipment_out(shipment))


class ShipmentFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: StatusName | None = None
    carrier: Text(32) | None = None
    updated_since: Timestamp | None = Field(None, description="Only shipments updated at or after this time")
    cursor: Text(500) | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


@shipments.get(
    "/shipments",
    response={200: ShipmentPage, **READ_ERRORS},
    summary="List shipments, oldest update first, with filters and cursor pagination",
)
def shipment_list(request: HttpRequest, filters: Query[ShipmentFilters]) -> ShipmentPage:
    unknown = sorted(set(request.GET) - set(ShipmentFilters.model_fields))
    if unknown:
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        raise ApiProblem(422, "The request has unknown query parameters.", slug="validation-error", errors=errors)
    try:
        page = shipments_page(shop=request.shop, **filters.model_dump())  # type: ignore[attr-defined]
    except InvalidCursor as error:
        errors = [{"field": "cursor", "message": str(error)}]
        raise ApiProblem(422, "The cursor is not valid.", slug="validation-error", errors=errors) from error
    return ShipmentPage(
        items=[ShipmentOut(**shipment_out(shipment)) for shipment in page.shipments], next_cursor=page.next_cursor
    )


@shipments.get(
    "/shipments/{shipment_id}",
    response={200: ShipmentDetailOut, 404: Problem, **READ_ERRORS},
    summary="Read one shipment with its events",
)
def shipment_get(request: HttpRequest, shipment_id: int = PathParam(..., ge=1, le=2**63 - 1)) -> ShipmentDetailOut:
    shipment = shipment_of_shop(shop=request.shop, shipment_id=shipment_id)  # type: ignore[attr-defined]
    if shipment is None:
        raise ApiProblem(404, f"No shipment {shipment_id} in this shop.", slug="not-found")
    return ShipmentDetailOut(**shipment_out(shipment, with_events=True))


api.add_router("", orders)
api.add_router("", shipments)
api.add_router("", catalog_router)
api.add_router("", webhooks_router)
api.add_router("", privacy_router)
api.add_router("", returns_router)
api.add_router("", incidents_router)
api.add_router("", feedback_router)
api.add_router("", analytics_router)
