"""InPost Returns ("Szybkie Zwroty"): `POST /oauth2/token` and `POST /v1/returns/tickets`, JSON.

A ticket's tracking number is a 24-digit InPost number, so the return parcel it names moves through a
journey when the demo polls it at `/inpost`. The shapes match tests/fixtures/carriers/inpost_returns/.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta

from carriers.simulator.core import (
    ALL_SCENARIOS,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    json_response,
    register_wire_format,
)
from carriers.simulator.inpost import STEPS

_TICKETS = itertools.count(1)
CODE_VALID_DAYS = 14


def serve(request: SimRequest, journey: JourneyLookup) -> SimResponse:
    """Answer the token and ticket calls; anything else is the API's 404."""
    if request.method == "POST" and request.path == "/oauth2/token":
        return json_response({"access_token": "demo-returns-token", "token_type": "Bearer", "expires_in": 3600})
    if request.method == "POST" and request.path == "/v1/returns/tickets":
        try:
            reference = str(json.loads(request.body or b"{}").get("reference", ""))
        except ValueError:
            return json_response({"status": 400, "error": "invalid_json", "message": "Body is not JSON"}, 400)
        serial = next(_TICKETS)
        digest = hashlib.sha256(f"{reference}:{serial}".encode()).hexdigest()
        digits = str(int(digest, 16))
        now = datetime.now(UTC)
        return json_response(
            {
                "id": f"RT-{now:%Y%m%d}-{serial:06d}",
                "status": "CREATED",
                "reference": reference,
                "return_code": f"{digits[:4]} {digits[4:8]}",
                "label_url": f"https://returns.inpost.test/v1/returns/tickets/{serial}/label.pdf",
                "tracking_number": "5" + digits[8:31].ljust(23, "0"),
                "expires_at": (now + timedelta(days=CODE_VALID_DAYS)).isoformat(),
                "created_at": now.isoformat(),
            },
            201,
        )
    return json_response({"status": 404, "error": "not_found", "message": f"No route {request.path}"}, 404)


WIRE_FORMAT = register_wire_format(WireFormat(code="inpost_returns", steps=STEPS, scenarios=ALL_SCENARIOS, serve=serve))
