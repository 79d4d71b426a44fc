"""``Idempotency-Key`` for POST endpoints, and the transaction every write runs in.

A POST runs in one transaction together with storing its response under (shop, key). A repeat with
the same key and the same request returns the stored response (``Idempotent-Replayed: true``); the
same key with a different method, path or body is a 422. Only successful responses are stored: a
request refused by validation stored nothing and may be retried under the same key once fixed.
Two requests racing with one key both run, but the unique (shop, key) row lets only the first
commit; the second rolls back its work (whatever error it met) and replays the first's response.
Records are kept for ``IDEMPOTENCY_TTL``; a daily task deletes older ones.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from pydantic import BaseModel

from api.models import IdempotencyRecord
from api.problems import ApiProblem

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 over method, path and the body as canonical JSON (key order and spacing do not matter)."""
    try:
        body = json.dumps(json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = request.body.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _json_response(status: int, body: Any, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        raise ApiProblem(
            422,
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
            slug="idempotency-key-reused",
            errors=[{"field": IDEMPOTENCY_HEADER, "message": "Reused with a different request body or path."}],
        )
    return _json_response(record.response_status, record.response_body, replayed=True)


def _stored_record(shop_id: int, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        shop_id=shop_id, key=key, created_at__gte=timezone.now() - IDEMPOTENCY_TTL
    ).first()


def idempotent_write(view: Callable[..., tuple[int, BaseModel]]) -> Callable[..., HttpResponse]:
    """Run a POST endpoint atomically, honouring ``Idempotency-Key``; the view returns ``(status, schema)``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        shop_id = request.shop.pk  # type: ignore[attr-defined]
        if key is None:
            with transaction.atomic():
                status, result = view(request, *args, **kwargs)
            return _json_response(status, result.model_dump(mode="json"), replayed=False)

        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ApiProblem(
                422,
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
                slug="validation-error",
                errors=[{"field": IDEMPOTENCY_HEADER, "message": "Invalid key."}],
            )
        fingerprint = request_fingerprint(request)
        record = _stored_record(shop_id, key)
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                status, result = view(request, *args, **kwargs)
                body = result.model_dump(mode="json")
                # An expired record with this key is replaced, in the same transaction as the new write.
                IdempotencyRecord.objects.filter(
                    shop_id=shop_id, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
                ).delete()
                IdempotencyRecord.objects.create(
                    shop_id=shop_id, key=key, request_hash=fingerprint, response_status=status, response_body=body
                )
        except (IntegrityError, ApiProblem):
            # A concurrent request with the same key may have committed first (its write then collides
            # with ours, or its key row does): its response is the answer. Otherwise the error stands.
            record = _stored_record(shop_id, key)
            if record is None:
                raise
            return _replay(record, fingerprint)
        return _json_response(status, body, replayed=False)

    return wrapper


def idempotency_records_purge() -> int:
    """Delete idempotency records older than ``IDEMPOTENCY_TTL``; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    return deleted
