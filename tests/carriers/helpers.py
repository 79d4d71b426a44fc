"""What the carrier adapter tests share: recorded payloads, a fake OAuth carrier, the simulator's steps."""

from pathlib import Path

import httpx

from carriers.types import Status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"

# What each generic step of the demo carrier means, to check an adapter reads the simulator right.
STEP_STATUS = {
    "label": Status.INFO_RECEIVED,
    "picked_up": Status.IN_TRANSIT,
    "sorting": Status.IN_TRANSIT,
    "delayed": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "ready_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "failed_attempt": Status.FAILED_ATTEMPT,
    "delivered": Status.DELIVERED,
    "pickup_expired": Status.EXCEPTION,
    "returning": Status.RETURNING_TO_SENDER,
    "returned": Status.RETURNED_TO_SENDER,
}


def carrier_fixture(carrier: str, name: str) -> bytes:
    """The recorded payload ``name`` of ``carrier``."""
    return (FIXTURES / carrier / name).read_bytes()


class FakeOAuthCarrier:
    """Answers the token call and then the tracking calls in order (the last one repeats); records every request."""

    carrier: str
    token_path: str

    def __init__(self, *tracking: httpx.Response, token: httpx.Response | None = None) -> None:
        self.token = token or httpx.Response(200, content=carrier_fixture(self.carrier, "token.json"))
        self.tracking = list(tracking)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == self.token_path:
            return self.token
        return self.tracking.pop(0) if len(self.tracking) > 1 else self.tracking[0]

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]
