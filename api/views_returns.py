"""Returns in the v1 API: list, read, create for an order, and the merchant's decisions.

Every operation is scoped to the API key's shop; the returns services do the work and raise the same
field errors the portal shows (problem JSON, 422); a step the return's state does not allow is a 409.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Path, Query, Router
from pydantic import BaseModel, ConfigDict, Field

from api.idempotency import idempotent_write
from api.problems import ApiProblem
from api.schemas import ERRORS, IDEMPOTENCY_PARAMETER, READ_ERRORS, Problem, RequestBody, Text
from returns.lifecycle import TransitionError, return_payload
from returns.models import ReturnReason, ReturnRequest, ReturnState
from returns.selectors import returns_of_shop
from returns.services import (
    ReturnLine,
    return_approve,
    return_receive,
    return_reject,
    return_request_create,
    return_resolve,
)
from shipments.models import Order

router = Router(tags=["returns"])
ReturnId = Path(..., ge=1, le=2**63 - 1)


class ReturnLineIn(RequestBody):
    sku: Text(64, min_length=1) = Field(..., description="The order item's SKU")
    quantity: int = Field(1, ge=1, le=100_000)
    reason: Text(40, min_length=1) = Field(..., description="A return reason code of the shop")
    exchange_sku: Text(64) = Field("", description="For an exchange: the catalog product's SKU wanted instead")


class ReturnIn(RequestBody):
    order_number: Text(64, min_length=1)
    items: list[ReturnLineIn] = Field(..., min_length=1, max_length=100)
    resolution: Literal["refund", "exchange", "store_credit"]
    method: Literal["inpost_code", "packeta_code", "label", "self_send"]
    note: Text(2000) = ""


class RejectIn(RequestBody):
    reason: Text(500, min_length=1)


class ResolveIn(RequestBody):
    note: Text(500) = ""


class ReceivedLineIn(RequestBody):
    sku: Text(64, min_length=1)
    quantity: int = Field(..., ge=0, le=100_000)


class ReceiveIn(RequestBody):
    items: list[ReceivedLineIn] | None = Field(None, max_length=100, description="Omit when everything arrived")


class ReturnItemOut(BaseModel):
    sku: str
    name: str
    quantity: int
    received_quantity: int
    reason: str
    exchange_sku: str
    exchange_name: str


class ReturnOut(BaseModel):
    id: int
    order_number: str
    state: str
    resolution: str
    method: str
    fee: Decimal
    currency: str
    deadline: str
    rejection_reason: str
    resolution_note: str
    store_credit_code: str
    store_credit_amount: Decimal | None
    return_code: str
    label_url: str
    return_tracking_number: str
    code_expires_at: datetime | None
    items: list[ReturnItemOut]
    created_at: datetime


class ReturnFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal[tuple(ReturnState.values)] | None = None  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=200)


def _out(return_request: ReturnRequest) -> ReturnOut:
    return ReturnOut(**return_payload(return_request=return_request))


def _return_or_404(request: HttpRequest, return_id: int) -> ReturnRequest:
    return_request = returns_of_shop(shop_id=request.shop.pk).filter(pk=return_id).first()  # type: ignore[attr-defined]
    if return_request is None:
        raise ApiProblem(404, f"No return {return_id} in this shop.", slug="not-found")
    return return_request


def _step(action) -> ReturnRequest:  # type: ignore[no-untyped-def]
    try:
        return action()
    except TransitionError as error:
        raise ApiProblem(409, str(error), slug="conflict") from error


@router.get("/returns", response={200: list[ReturnOut], **READ_ERRORS}, summary="List the shop's returns, newest first")
def return_list(request: HttpRequest, filters: Query[ReturnFilters]) -> list[ReturnOut]:
    unknown = sorted(set(request.GET) - set(ReturnFilters.model_fields))
    if unknown:
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        raise ApiProblem(422, "The request has unknown query parameters.", slug="validation-error", errors=errors)
    returns = returns_of_shop(shop_id=request.shop.pk)  # type: ignore[attr-defined]
    if filters.state:
        returns = returns.filter(state=filters.state)
    return [_out(return_request) for return_request in returns[: filters.limit]]


@router.get("/returns/{return_id}", response={200: ReturnOut, 404: Problem, **READ_ERRORS}, summary="Read one return")
def return_get(request: HttpRequest, return_id: int = ReturnId) -> ReturnOut:
    return _out(_return_or_404(request, return_id))


@router.post(
    "/returns",
    response={201: ReturnOut, 404: Problem, **ERRORS},
    summary="Create a return for an order (the shop's rules apply as in the portal)",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def return_add(request: HttpRequest, payload: ReturnIn) -> tuple[int, ReturnOut]:
    shop = request.shop  # type: ignore[attr-defined]
    order = Order.objects.filter(shop=shop, number=payload.order_number).first()
    if order is None:
        raise ApiProblem(404, f"No order {payload.order_number!r} in this shop.", slug="not-found")
    items = {}
    for item in order.items.order_by("pk"):
        items.setdefault(item.sku, item.pk)
    reasons = dict(ReturnReason.objects.filter(shop=shop).values_list("code", "pk"))
    errors = []
    for index, line in enumerate(payload.items):
        if line.sku not in items:
            errors.append({"field": f"items[{index}].sku", "message": "No item with this SKU in the order."})
        if line.reason not in reasons:
            errors.append({"field": f"items[{index}].reason", "message": "Unknown return reason code."})
    if errors:
        raise ApiProblem(422, "The return has invalid items.", slug="validation-error", errors=errors)
    return_request = return_request_create(
        order=order,
        lines=[
            ReturnLine(
                order_item_id=items[line.sku],
                quantity=line.quantity,
                reason_id=reasons[line.reason],
                exchange_sku=line.exchange_sku,
            )
            for line in payload.items
        ],
        resolution=payload.resolution,
        method=payload.method,
        customer_note=payload.note,
    )
    return 201, _out(_return_or_404(request, return_request.pk))


@router.post(
    "/returns/{return_id}/approve",
    response={200: ReturnOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Approve a requested return",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def return_approve_view(request: HttpRequest, return_id: int = ReturnId) -> tuple[int, ReturnOut]:
    return_request = _return_or_404(request, return_id)
    _step(lambda: return_approve(return_request=return_request))
    return 200, _out(_return_or_404(request, return_id))


@router.post(
    "/returns/{return_id}/reject",
    response={200: ReturnOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Reject a requested return, saying why",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def return_reject_view(request: HttpRequest, payload: RejectIn, return_id: int = ReturnId) -> tuple[int, ReturnOut]:
    return_request = _return_or_404(request, return_id)
    _step(lambda: return_reject(return_request=return_request, reason=payload.reason))
    return 200, _out(_return_or_404(request, return_id))


@router.post(
    "/returns/{return_id}/receive",
    response={200: ReturnOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Record what arrived (item by item, or everything) and mark the return received",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def return_receive_view(request: HttpRequest, payload: ReceiveIn, return_id: int = ReturnId) -> tuple[int, ReturnOut]:
    return_request = _return_or_404(request, return_id)
    quantities = None
    if payload.items is not None:
        by_sku = {item.sku: item.pk for item in return_request.items.all()}
        unknown = [
            {"field": f"items[{index}].sku", "message": "No item with this SKU in the return."}
            for index, line in enumerate(payload.items)
            if line.sku not in by_sku
        ]
        if unknown:
            raise ApiProblem(422, "The received items are invalid.", slug="validation-error", errors=unknown)
        quantities = {by_sku[line.sku]: line.quantity for line in payload.items}
    _step(lambda: return_receive(return_request=return_request, quantities=quantities))
    return 200, _out(_return_or_404(request, return_id))


@router.post(
    "/returns/{return_id}/resolve",
    response={200: ReturnOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Record the refund or exchange, or give the store credit code",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def return_resolve_view(request: HttpRequest, payload: ResolveIn, return_id: int = ReturnId) -> tuple[int, ReturnOut]:
    return_request = _return_or_404(request, return_id)
    _step(lambda: return_resolve(return_request=return_request, note=payload.note))
    return 200, _out(_return_or_404(request, return_id))
