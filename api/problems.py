"""Problem details (RFC 9457) for every error the API returns, and the handlers that produce them.

Every error body has ``type``, ``title``, ``status``, ``detail`` and ``errors`` (a list of
``{field, message}``, empty when no single field is to blame), served as ``application/problem+json``.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:parcelfront:problem:"

# Locations ninja puts before a field's own path; clients care about the path inside the body.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "payload", "filters"}


class ApiProblem(Exception):
    """An error the API reports as problem JSON; raise it from auth, checks and endpoints."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        errors: Iterable[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
        self.errors = [dict(error) for error in errors]
        self.headers = dict(headers or {})


def problem_response(
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    errors: Iterable[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A problem JSON response."""
    problem = ApiProblem(status, detail, slug=slug, errors=errors, headers=headers)
    return _render(problem)


def _render(problem: ApiProblem) -> HttpResponse:
    body = {
        "type": TYPE_PREFIX + problem.slug,
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "errors": problem.errors,
    }
    response = HttpResponse(json.dumps(body), status=problem.status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def field_path(location: Iterable[Any]) -> str:
    """``("body", "payload", "items", 0, "sku")`` → ``items[0].sku``."""
    parts = list(location)
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def django_validation_errors(error: DjangoValidationError, *, prefix: str = "") -> list[dict[str, str]]:
    """Flatten a Django ValidationError into ``{field, message}`` pairs (``prefix`` names the parent)."""
    if hasattr(error, "error_dict"):
        pairs = []
        for name, field_errors in error.error_dict.items():
            field = prefix if name == "__all__" else (f"{prefix}.{name}" if prefix else name)
            for field_error in field_errors:
                pairs.extend({"field": field, "message": message} for message in field_error.messages)
        return pairs
    return [{"field": prefix, "message": message} for message in error.messages]


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        message = error.get("msg", "Invalid value.")
        if error.get("type") == "extra_forbidden":
            message = "Unknown field."
        elif error.get("type") == "json_invalid":
            message = "The body is not valid JSON."
        field = field_path(error.get("loc", ()))
        if not field and error.get("type") in ("model_type", "model_attributes_type", "dict_type"):
            message = "The body must be a JSON object."
        errors.append({"field": field, "message": message})
    return _render(ApiProblem(422, "The request has invalid fields.", slug="validation-error", errors=errors))


def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = django_validation_errors(exc)
    return _render(ApiProblem(422, "The request has invalid fields.", slug="validation-error", errors=errors))


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    headers = {}
    if isinstance(exc, Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="parcelfront"'
        detail = "Send a valid API key as 'Authorization: Bearer <key>'."
        return _render(ApiProblem(401, detail, slug="unauthorized", headers=headers))
    return _render(ApiProblem(exc.status_code, str(exc), headers=headers))


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _render(ApiProblem(404, str(exc) or "Not found.", slug="not-found"))


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _render(ApiProblem(413, "The request body is too large.", slug="body-too-large"))


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Log the details for operators; the client gets a problem without internals.
    logger.exception("unhandled API error on %s %s", request.method, request.path)
    return _render(ApiProblem(500, "Something went wrong on our side; try again later.", slug="server-error"))


def install_problem_handlers(api: NinjaAPI) -> None:
    """Make every error of ``api`` a problem JSON response."""
    api.add_exception_handler(Exception, _on_unexpected)
    api.add_exception_handler(ApiProblem, lambda request, exc: _render(exc))
    api.add_exception_handler(NinjaValidationError, _on_ninja_validation)
    api.add_exception_handler(DjangoValidationError, _on_django_validation)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(RequestDataTooBig, _on_too_big)
