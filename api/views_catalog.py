"""Catalog and discount endpoints of the v1 API, over the campaigns app's bulk services (all or nothing)."""

from django.http import HttpRequest
from ninja import Path, Router

from api.idempotency import idempotent_write
from api.problems import ApiProblem
from api.schemas import (
    ERRORS,
    IDEMPOTENCY_PARAMETER,
    BulkOut,
    DiscountCodesIn,
    DiscountPoolOut,
    Problem,
    ProductsIn,
    RedemptionsIn,
    SkippedRow,
)
from campaigns.catalog import product_bulk_upsert
from campaigns.discounts import discount_codes_upload, discount_redemptions_record
from campaigns.models import DiscountPool
from campaigns.rows import BulkResult

router = Router(tags=["catalog and discounts"])


def _row_field(collection: str, row: int, field: str) -> str:
    # The services count rows from 1; the API names list items from 0, like every other field path.
    if row <= 0:
        return field or collection
    return f"{collection}[{row - 1}]" + (f".{field}" if field else "")


def _bulk_out(result: BulkResult, collection: str) -> BulkOut:
    if result.errors:
        errors = [
            {"field": _row_field(collection, error.row, error.field), "message": error.message}
            for error in result.errors
        ]
        raise ApiProblem(422, "Some rows are invalid; nothing was stored.", slug="validation-error", errors=errors)
    return BulkOut(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        skipped=[
            SkippedRow(field=_row_field(collection, skipped.row, skipped.field), message=skipped.message)
            for skipped in result.skipped
        ],
    )


@router.post(
    "/products/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Create or update products by SKU (all or nothing)",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def products_bulk_upsert(request: HttpRequest, payload: ProductsIn) -> tuple[int, BulkOut]:
    rows = [product.model_dump() for product in payload.products]
    for row in rows:
        row["price"] = None if row["price"] is None else str(row["price"])
    result = product_bulk_upsert(shop=request.shop, rows=rows)  # type: ignore[attr-defined]
    return 200, _bulk_out(result, "products")


@router.get(
    "/discount-pools",
    response={200: list[DiscountPoolOut], 401: Problem, 429: Problem},
    summary="List the shop's discount pools",
)
def discount_pools_list(request: HttpRequest) -> list[DiscountPoolOut]:
    pools = DiscountPool.objects.filter(shop=request.shop).order_by("name", "pk")  # type: ignore[attr-defined]
    return [DiscountPoolOut(id=pool.pk, name=pool.name, kind=pool.kind, shared_code=pool.shared_code) for pool in pools]


@router.post(
    "/discount-pools/{pool_id}/codes",
    response={201: BulkOut, 404: Problem, **ERRORS},
    summary="Upload unique discount codes into a pool (all or nothing)",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def discount_codes_add(
    request: HttpRequest, payload: DiscountCodesIn, pool_id: int = Path(..., ge=1, le=2**63 - 1)
) -> tuple[int, BulkOut]:
    pool = DiscountPool.objects.filter(shop=request.shop, pk=pool_id).first()  # type: ignore[attr-defined]
    if pool is None:
        raise ApiProblem(404, f"No discount pool {pool_id} in this shop.", slug="not-found")
    result = discount_codes_upload(pool=pool, rows=[{"code": code} for code in payload.codes])
    return 201, _bulk_out(result, "codes")


@router.post(
    "/discount-redemptions",
    response={200: BulkOut, **ERRORS},
    summary="Record discount codes used in the shop's orders (all or nothing)",
    description="A repeated row (same code and order) changes nothing; codes Parcelfront never gave out are "
    "listed in `skipped`; a single-use code already used in another order is a 422.",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def redemptions_record(request: HttpRequest, payload: RedemptionsIn) -> tuple[int, BulkOut]:
    rows = [redemption.model_dump() for redemption in payload.redemptions]
    for row in rows:
        row["amount"] = None if row["amount"] is None else str(row["amount"])
    result = discount_redemptions_record(shop=request.shop, rows=rows)  # type: ignore[attr-defined]
    return 200, _bulk_out(result, "redemptions")
