"""Customer feedback in the v1 API: list the shop's responses (score, comment, answers) with filters and cursors."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from api.problems import ApiProblem
from api.schemas import READ_ERRORS, Text, Timestamp
from api.selectors import InvalidCursor, cursor_decode, cursor_encode
from feedback.alerts import feedback_payload
from feedback.models import FeedbackResponse, Segment
from shops.models import FeedbackScale

router = Router(tags=["feedback"])
MAX_PAGE = 200
_CURSOR_SALT = "api.feedback.cursor"


class FeedbackOut(BaseModel):
    id: int
    order: dict[str, Any]
    scale: str = Field(description="nps (0-10) or csat (1-5)")
    score: int
    segment: str = Field(description="promoter, passive or detractor")
    comment: str
    language: str
    carrier: str
    answers: dict[str, bool] = Field(description="question code -> thumbs up (true) or down (false)")
    carrier_ratings: list[dict[str, Any]]
    source: str
    created_at: str
    updated_at: str


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


class FeedbackFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: FeedbackScale | None = None
    segment: Segment | None = None
    min_score: int | None = Field(None, ge=0, le=10)
    max_score: int | None = Field(None, ge=0, le=10)
    carrier: Text(32) | None = None
    with_comment: bool | None = Field(None, description="true: only responses with a comment; false: only without")
    updated_since: Timestamp | None = Field(None, description="Only responses changed at or after this time")
    cursor: Text(500) | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


@router.get(
    "/feedback",
    response={200: FeedbackPage, **READ_ERRORS},
    summary="List customer feedback, oldest change first, with filters and cursor pagination",
)
def feedback_list(request: HttpRequest, filters: Query[FeedbackFilters]) -> FeedbackPage:
    unknown = sorted(set(request.GET) - set(FeedbackFilters.model_fields))
    if unknown:
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        raise ApiProblem(422, "The request has unknown query parameters.", slug="validation-error", errors=errors)
    queryset = FeedbackResponse.objects.filter(shop=request.shop)  # type: ignore[attr-defined]
    exact = {"scale": filters.scale, "segment": filters.segment, "carrier": filters.carrier}
    queryset = queryset.filter(**{name: value for name, value in exact.items() if value})
    if filters.min_score is not None:
        queryset = queryset.filter(score__gte=filters.min_score)
    if filters.max_score is not None:
        queryset = queryset.filter(score__lte=filters.max_score)
    if filters.with_comment is not None:
        queryset = queryset.exclude(comment="") if filters.with_comment else queryset.filter(comment="")
    if filters.updated_since is not None:
        queryset = queryset.filter(updated_at__gte=filters.updated_since)
    if filters.cursor:
        try:
            after_time, after_id = cursor_decode(filters.cursor, salt=_CURSOR_SALT)
        except InvalidCursor as error:
            errors = [{"field": "cursor", "message": str(error)}]
            raise ApiProblem(422, "The cursor is not valid.", slug="validation-error", errors=errors) from error
        queryset = queryset.filter(Q(updated_at__gt=after_time) | Q(updated_at=after_time, pk__gt=after_id))
    rows = list(
        queryset.select_related("order")
        .prefetch_related("answers", "order__shipments__carrier_rating")
        .order_by("updated_at", "pk")[: filters.limit + 1]
    )
    page = rows[: filters.limit]
    next_cursor = None
    if len(rows) > filters.limit:
        last = page[-1]
        next_cursor = cursor_encode(updated_at=last.updated_at, shipment_id=last.pk, salt=_CURSOR_SALT)
    return FeedbackPage(items=[FeedbackOut(**feedback_payload(row)) for row in page], next_cursor=next_cursor)
