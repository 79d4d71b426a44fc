"""Request and response bodies of the REST API. Requests refuse unknown fields."""

import re
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from api.models import WebhookEventType
from carriers.types import Status

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
STATUSES = tuple(status.value for status in Status)
StatusName = Literal[STATUSES]  # type: ignore[valid-type]


def _no_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no field of ours has a use for control characters.
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("Control characters are not allowed.")
    return value


def _sane_year(value: datetime | date) -> datetime | date:
    # Far dates overflow when converted to UTC or stored; no order lives outside these years.
    if not 1970 <= value.year <= 2200:
        raise ValueError("The year must be between 1970 and 2200.")
    return value


def _real_offset(value: datetime) -> datetime:
    # Python takes any offset under 24 h; PostgreSQL refuses beyond ±15:59, and no place on Earth is beyond ±14:00.
    offset = value.utcoffset()
    if offset is not None and abs(offset.total_seconds()) > 14 * 3600:
        raise ValueError("The UTC offset must be between -14:00 and +14:00.")
    return value


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """A string of bounded length without control characters, surrounding whitespace dropped.

    The maximum holds for the text as sent, as the published schema says (a client's 201 characters are
    refused even when one of them is a trailing newline); the minimum holds for what is left once stripped.
    """
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(partial(_stripped, min_length=min_length)),
        AfterValidator(_no_control_characters),
    ]


def _stripped(value: str, *, min_length: int) -> str:
    value = value.strip()
    if len(value) < min_length:
        raise ValueError(f"At least {min_length} character(s) besides spaces are needed.")
    return value


def _iso_text(value: Any) -> Any:
    # pydantic would take 0 or "0.5" as a Unix time, which no client means here: dates are ISO 8601 text.
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("Write an ISO 8601 date or date and time, e.g. 2026-11-02T10:30:00+01:00.")
    return value


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_sane_year), AfterValidator(_real_offset)
]
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_sane_year)]
OrderNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._#-]*$"),
]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
HttpUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=8, max_length=500, pattern=r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$"
    ),
    Field(json_schema_extra={"format": "uri"}),
]
OptionalHttpUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^(https?://[^\s/?#@]+(?:[/?#]\S*)?)?$"),
]


class RequestBody(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ItemIn(RequestBody):
    sku: Text(64) = ""
    name: Text(255, min_length=1)
    quantity: StrictInt = Field(1, ge=1, le=100_000)
    unit_price: Money = Decimal("0")
    image_url: OptionalHttpUrl = ""
    product_url: OptionalHttpUrl = ""
    category: Text(120) = ""
    tags: Text(500) = Field("", description="Comma-separated; return rules may exclude items by tag.")
    discounted: StrictBool = False


class ShipmentIn(RequestBody):
    tracking_number: Text(64, min_length=1)
    carrier: Text(32) | None = Field(None, description="Carrier code; detected from the number when omitted.")
    direction: Literal["outbound", "return"] = "outbound"
    service: Text(120) = ""


class OrderIn(RequestBody):
    number: OrderNumber = Field(description="The shop's order number; letters, digits and . _ # -")
    customer_name: Text(200) = ""
    customer_email: Text(254) = ""
    customer_phone: Text(40) = ""
    shipping_city: Text(120) = ""
    shipping_postcode: Text(20) = ""
    shipping_country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] = ""
    locale: Literal["", "pl", "en", "de", "cs", "sk"] = ""
    email_marketing_consent: StrictBool = False
    sms_marketing_consent: StrictBool = False
    marketing_consent: StrictBool | None = Field(None, description="Deprecated: email_marketing_consent.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "PLN"
    total_amount: Money = Decimal("0")
    shipping_method: Text(120) = ""
    placed_at: Timestamp | None = Field(None, description="With a time zone offset; now when omitted.")
    promised_delivery_date: Day | None = None
    items: list[ItemIn] | None = Field(None, max_length=500, description="Replaces the stored items when given.")
    shipments: list[ShipmentIn] = Field(default_factory=list, max_length=50, description="Added; existing kept.")


class ProblemError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError]


class ItemOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    image_url: str
    product_url: str


class EventOut(BaseModel):
    occurred_at: datetime
    status: str = Field(description="Normalized status; empty when the carrier's code is not mapped")
    reason: str
    raw_code: str
    text: str = Field(description="The carrier's own words, verbatim")
    location: str


class ShipmentOut(BaseModel):
    id: int
    order_number: str
    carrier: str
    carrier_confidence: float | None = Field(description="Detection confidence (0..1) when the carrier was guessed")
    carrier_detected: bool
    tracking_number: str
    direction: str
    service: str
    status: str
    reason: str
    status_changed_at: datetime | None
    eta_from: datetime | None
    eta_to: datetime | None
    delivered_at: datetime | None
    pickup_point: dict[str, Any] | None
    tracking_url: str
    created_at: datetime
    updated_at: datetime


class ShipmentDetailOut(ShipmentOut):
    events: list[EventOut] = Field(description="Newest first")


class OrderOut(BaseModel):
    number: str
    customer_name: str
    customer_email: str
    customer_phone: str
    shipping_city: str
    shipping_postcode: str
    shipping_country: str
    locale: str
    email_marketing_consent: bool
    email_marketing_consent_at: datetime | None
    sms_marketing_consent: bool
    sms_marketing_consent_at: datetime | None
    marketing_consent: bool = Field(description="Deprecated: email_marketing_consent.")
    currency: str
    total_amount: Decimal
    shipping_method: str
    placed_at: datetime
    promised_delivery_date: date | None
    tracking_url: str
    items: list[ItemOut]
    shipments: list[ShipmentDetailOut]
    created_at: datetime
    updated_at: datetime


class ShipmentPage(BaseModel):
    items: list[ShipmentOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


Currency = Annotated[str, StringConstraints(pattern=r"^([A-Z]{3})?$")]


class ProductIn(RequestBody):
    sku: Text(64, min_length=1)
    name: Text(255, min_length=1)
    url: HttpUrl = Field(description="The product page, http(s)")
    image_url: OptionalHttpUrl = ""
    price: Money | None = None
    currency: Currency = ""
    category: Text(120) = ""
    tags: list[Text(60)] = Field(default_factory=list, max_length=50)
    active: StrictBool = True


class ProductsIn(RequestBody):
    products: list[ProductIn] = Field(min_length=1, max_length=5000)


class DiscountCodesIn(RequestBody):
    codes: list[Text(64, min_length=1)] = Field(min_length=1, max_length=20000)


class RedemptionIn(RequestBody):
    code: Text(64, min_length=1)
    order_number: Text(64, min_length=1)
    amount: Money | None = None
    currency: Currency = ""
    redeemed_at: Timestamp | None = Field(None, description="When the code was used; now when omitted")
    customer_email: Text(254) = ""


class RedemptionsIn(RequestBody):
    redemptions: list[RedemptionIn] = Field(min_length=1, max_length=5000)


class SkippedRow(BaseModel):
    field: str
    message: str


class BulkOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    skipped: list[SkippedRow] = Field(description="Rows left out on purpose, e.g. codes Parcelfront never gave out")


class DiscountPoolOut(BaseModel):
    id: int
    name: str
    kind: str
    shared_code: str


# Error responses every write / read may give, for the OpenAPI document.
ERRORS: dict[int, type[BaseModel]] = {
    400: Problem,
    401: Problem,
    413: Problem,
    415: Problem,
    422: Problem,
    429: Problem,
}
READ_ERRORS: dict[int, type[BaseModel]] = {400: Problem, 401: Problem, 422: Problem, 429: Problem}

IDEMPOTENCY_PARAMETER = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "A unique key per intended write; repeats return the first response.",
        }
    ]
}


# Every event type the platform emits, from the one list in api.models (returns and incidents included).
EventTypeName = Literal[tuple(WebhookEventType.values)]  # type: ignore[valid-type]


class WebhookEndpointIn(RequestBody):
    url: HttpUrl = Field(description="http(s) URL; internal and private addresses are refused")
    event_types: list[EventTypeName] = Field(min_length=1, max_length=10)
    description: Text(200) = ""


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    disabled_reason: str
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="Standard Webhooks signing secret (whsec_...); verify every request with it")


class WebhookTestOut(BaseModel):
    event_id: str
