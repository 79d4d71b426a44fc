"""Bearer API keys, and the checks every authenticated request passes before its body is parsed.

Order: key (401) → rate limit per key (429 + Retry-After) → content type (415) → body size (413).
Each check runs before ninja reads or validates the body, so a refused request costs little.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja.security import HttpBearer

from api.problems import ApiProblem
from shops.models import ApiKey
from shops.services import api_key_authenticate

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``: the request then belongs to the key's shop, and only to it."""

    openapi_description = "A shop's API key, e.g. `pf_0123456789_...`, issued in the admin."

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = api_key_authenticate(raw_key=token)
        if api_key is None:
            return None
        request.api_key = api_key  # type: ignore[attr-defined]
        request.shop = api_key.shop  # type: ignore[attr-defined]
        rate_limit_check(api_key=api_key)
        if request.method in _METHODS_WITH_BODY:
            body_check(request)
        return api_key


def rate_limit_check(*, api_key: ApiKey) -> None:
    """Count this request in the key's current one-minute window; over the limit raises a 429."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    # The random prefix, not the row id: ids repeat across databases sharing one Redis (test workers, staging).
    cache_key = f"api:rate:{api_key.prefix}:{window}"
    try:
        cache.add(cache_key, 0, timeout=RATE_WINDOW_SECONDS + 5)
        count = cache.incr(cache_key)
    except Exception:
        # A cache outage must not take the API down with it: fail open, loudly.
        logger.exception("rate limiter unavailable; request let through")
        return
    if count > limit:
        retry_after = max(1, int((window + 1) * RATE_WINDOW_SECONDS - now) + 1)
        raise ApiProblem(
            429,
            f"Rate limit of {limit} requests per minute exceeded for this API key.",
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )


def body_check(request: HttpRequest) -> None:
    """Refuse bodies that are not JSON (415) or larger than ``API_MAX_BODY_BYTES`` (413)."""
    content_type = request.content_type or ""
    declared_length = request.headers.get("Content-Length") or "0"
    has_body = declared_length not in ("", "0") or "chunked" in request.headers.get("Transfer-Encoding", "")
    # A POST without a body (e.g. "send a test event") needs no content type.
    if has_body and content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiProblem(
            415,
            f"Send the body as application/json, not {content_type or 'nothing'}.",
            slug="unsupported-media-type",
            headers={"Accept-Post": "application/json"},
        )
    limit = settings.API_MAX_BODY_BYTES
    too_big = ApiProblem(413, f"The request body is larger than {limit} bytes.", slug="body-too-large")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_big
    try:
        body = request.body
    except RequestDataTooBig as error:
        raise too_big from error
    if len(body) > limit:
        raise too_big
