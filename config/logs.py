"""Log lines a person or a machine can read: the request, shop and task a line belongs to, nothing secret.

``LOG_FORMAT=json`` gives one JSON object per line (python-json-logger) with ``request_id``, ``shop_id``
and ``task_id``; otherwise the readable ``time level logger message`` line. Both mask tokens, secrets,
emails and phone numbers (``config.redaction``), tracebacks included. ``ops.middleware`` opens the request
context; Celery's current task gives the task id and the ``shop_id`` argument tasks carry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from celery import current_task
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from config.redaction import mask_sensitive, mask_value

_request: ContextVar[Any] = ContextVar("log_request", default=None)
_request_id: ContextVar[str] = ContextVar("log_request_id", default="")


@contextmanager
def request_context(request: Any, request_id: str) -> Iterator[None]:
    """Log lines written while handling ``request`` carry its id and, once known, its shop."""
    request_token, id_token = _request.set(request), _request_id.set(request_id)
    try:
        yield
    finally:
        _request.reset(request_token)
        _request_id.reset(id_token)


def _shop_id(request: Any) -> int | None:
    if request is not None:
        shop = getattr(request, "shop", None)  # an API key's shop
        return shop.pk if shop is not None else getattr(request, "portal_shop_id", None)  # a custom domain's
    task = current_task._get_current_object() if current_task else None
    return (getattr(task.request, "kwargs", None) or {}).get("shop_id") if task is not None else None


class LogContextFilter(logging.Filter):
    """Adds ``request_id``, ``shop_id``, ``task_id`` and ``task_name`` to every record (empty when not known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        task = current_task._get_current_object() if current_task else None
        record.request_id = _request_id.get()
        record.shop_id = _shop_id(request)
        record.task_id = getattr(task.request, "id", None) if task is not None else None
        record.task_name = getattr(task, "name", None) if task is not None else None
        return True


class PlainFormatter(logging.Formatter):
    """The readable line; tracebacks are masked like messages."""

    def formatException(self, ei: Any) -> str:
        return mask_sensitive(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return mask_sensitive(super().formatStack(stack_info))


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message, request/shop/task ids, any extras — all masked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(shop_id)s %(task_id)s %(task_name)s"
        )
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def formatException(self, ei: Any) -> str:
        return mask_sensitive(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return mask_sensitive(super().formatStack(stack_info))

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        # Extras can be objects (django.request logs the request): they are shown by their masked text.
        return mask_value(log_record)
