"""Data-subject requests of the v1 API: export and erase one customer of the key's shop, audited.

The customer is (shop, email): another shop's customer with the same address is never touched.
Responses never echo the email; the audit log and the erase response name the customer by its hash.
"""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from ninja import Query, Router
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.idempotency import idempotent_write
from api.problems import ApiProblem
from api.schemas import ERRORS, IDEMPOTENCY_PARAMETER, READ_ERRORS, RequestBody, Text
from shops.privacy import subject_hash
from shops.privacy_services import customer_erase, customer_export

router = Router(tags=["customers (GDPR)"])


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValueError("Write a valid email address.") from error
    return value.lower()


CustomerEmail = Annotated[Text(254, min_length=3), AfterValidator(_email)]


class CustomerIn(RequestBody):
    email: CustomerEmail = Field(description="The customer's email, as on their orders (any case)")


class CustomerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: CustomerEmail


class CustomerErasedOut(BaseModel):
    subject: str = Field(description="Keyed hash of the email: how the audit log names this customer")
    erased: dict[str, int] = Field(description="Rows anonymised or deleted, per kind of record")


@router.post(
    "/customers/erase",
    response={200: CustomerErasedOut, **ERRORS},
    summary="Erase a customer's personal data in this shop (statistics are kept)",
    description=(
        "Anonymises or deletes everything of the customer with this email in the key's shop: orders' names, "
        "addresses and phones, email copies, events, comments, webhook payloads and uploads. Parcels, statuses, "
        "ratings and counters stay. An unsubscribe is kept as a hash, so the address stays unsubscribed. "
        "Repeating it erases nothing more (`erased` is empty)."
    ),
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def customer_erase_view(request: HttpRequest, payload: CustomerIn) -> tuple[int, CustomerErasedOut]:
    erased = customer_erase(shop=request.shop, email=payload.email, actor=request.api_key)  # type: ignore[attr-defined]
    return 200, CustomerErasedOut(subject=subject_hash(payload.email), erased=erased)


@router.get(
    "/customers/export",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="Export a customer's personal data in this shop as JSON",
    description="Every record of the customer with this email in the key's shop, grouped by kind of record.",
)
def customer_export_view(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    unknown = sorted(set(request.GET) - set(CustomerQuery.model_fields))
    if unknown:
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        raise ApiProblem(422, "The request has unknown query parameters.", slug="validation-error", errors=errors)
    return customer_export(shop=request.shop, email=query.email, actor=request.api_key)  # type: ignore[attr-defined]
