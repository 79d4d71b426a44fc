"""Incidents in the v1 API: list the shop's watchlist incidents with filters, resolve one with a note."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router
from pydantic import BaseModel, ConfigDict, Field

from api.idempotency import idempotent_write
from api.problems import ApiProblem
from api.schemas import ERRORS, IDEMPOTENCY_PARAMETER, READ_ERRORS, Problem, Text, Timestamp
from watchlist.alerts import incident_payload
from watchlist.models import Incident, IncidentState, IncidentType
from watchlist.selectors import incident_of_shop, incidents_of_shop
from watchlist.services import incident_resolve

router = Router(tags=["incidents"])
IncidentId = Path(..., ge=1, le=2**63 - 1)
MAX_PAGE = 200


class IncidentOut(BaseModel):
    id: int
    type: str
    state: str
    opened_at: str
    resolved_at: str | None
    resolution_note: str
    deadline_at: str | None
    threshold: dict[str, Any] = Field(description="business_days, source (default|override|learned), note")
    shipment: dict[str, Any]
    order: dict[str, Any]


class IncidentList(BaseModel):
    items: list[IncidentOut]


class IncidentFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: IncidentState | None = None
    type: IncidentType | None = None
    carrier: Text(32) | None = None
    since: Timestamp | None = Field(None, description="Only incidents opened or resolved at or after this time")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text(1000, min_length=1)


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut(**incident_payload(incident))


@router.get(
    "/incidents",
    response={200: IncidentList, **READ_ERRORS},
    summary="List the shop's watchlist incidents, newest first, by state, type, carrier and time",
)
def incident_list(request: HttpRequest, filters: Query[IncidentFilters]) -> IncidentList:
    unknown = sorted(set(request.GET) - set(IncidentFilters.model_fields))
    if unknown:
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        raise ApiProblem(422, "The request has unknown query parameters.", slug="validation-error", errors=errors)
    incidents = incidents_of_shop(
        shop=request.shop,  # type: ignore[attr-defined]
        state=filters.state,
        incident_type=filters.type,
        carrier=filters.carrier,
        since=filters.since,
    )[: filters.limit]
    return IncidentList(items=[_out(incident) for incident in incidents])


@router.post(
    "/incidents/{incident_id}/resolve",
    response={200: IncidentOut, 404: Problem, 409: Problem, **ERRORS},
    summary="Resolve an open or snoozed incident with a note",
    openapi_extra=IDEMPOTENCY_PARAMETER,
)
@idempotent_write
def incident_resolve_view(
    request: HttpRequest, payload: ResolveIn, incident_id: int = IncidentId
) -> tuple[int, IncidentOut]:
    incident = incident_of_shop(shop=request.shop, incident_id=incident_id)  # type: ignore[attr-defined]
    if incident is None:
        raise ApiProblem(404, f"No incident {incident_id} in this shop.", slug="not-found")
    if not incident_resolve(incident=incident, user=None, note=payload.note):
        raise ApiProblem(409, f"Incident {incident_id} is already resolved.", slug="conflict")
    return 200, _out(incident)
