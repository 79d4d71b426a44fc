"""What an ESP's error tells us: whether the request provably never reached it, when to try again, its text.

Pure readers of the exception anymail's requests backends raise, so ``notifications.sending`` decides
retry, failure or an unknown outcome from them. Retry-After is read by the one parser the carriers
use too (delta-seconds or an HTTP date).
"""

from __future__ import annotations

from typing import Any

import requests
from anymail.exceptions import AnymailRequestsAPIError

from carriers.base import parse_retry_after


def esp_error_text(error: AnymailRequestsAPIError) -> str:
    """The platform ESP's own error text (our ESP, so support may read it), bounded."""
    response = getattr(error, "response", None)
    text = response.text if response is not None else str(error)
    return " ".join(text.split())[:500]


def esp_retry_after(error: AnymailRequestsAPIError) -> float | None:
    """Seconds the ESP asked us to wait (its Retry-After header), or None."""
    response = getattr(error, "response", None)
    return parse_retry_after(response.headers.get("Retry-After") if response is not None else None)


def never_reached_esp(error: BaseException) -> bool:
    """True when the request provably never got to the ESP (refused connection, connect timeout)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        name = type(current).__name__
        if name in {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError", "ConnectionRefusedError"}:
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False
