"""The demo carrier: a fake loopback carrier speaking each real carrier's wire format.

Used by the README demo, benchmarks and tests. Start it with
``python -m carriers.simulator --port 8099 --speed 720`` and point a carrier at it with
``CARRIER_INPOST_BASE_URL=http://127.0.0.1:8099/inpost`` (likewise ``/poczta_polska``, ``/packeta``,
``/orlen``, ...). Each number's journey starts the first time it is asked about; numbers starting
with ``NOTFOUND`` get the carrier's real not-found answer.

Adding a carrier: add a module here that builds a ``WireFormat`` (its raw code and verbatim text
per generic step, the scenarios it supports, and a ``serve`` function answering its real URL
paths) and passes it to ``register_wire_format``. ``load_wire_formats`` imports every module here.
"""

from carriers.simulator.core import (
    NOT_FOUND_PREFIX,
    SCENARIOS,
    WIRE_FORMATS,
    Journey,
    JourneyEvent,
    JourneyLookup,
    SimRequest,
    SimResponse,
    WireFormat,
    is_unknown,
    journey,
    json_response,
    load_wire_formats,
    make_simulator_server,
    make_wsgi_app,
    register_wire_format,
    scenario_for,
    serve,
    text_response,
    xml_response,
)

__all__ = [
    "NOT_FOUND_PREFIX",
    "SCENARIOS",
    "WIRE_FORMATS",
    "Journey",
    "JourneyEvent",
    "JourneyLookup",
    "SimRequest",
    "SimResponse",
    "WireFormat",
    "is_unknown",
    "journey",
    "json_response",
    "load_wire_formats",
    "make_simulator_server",
    "make_wsgi_app",
    "register_wire_format",
    "scenario_for",
    "serve",
    "text_response",
    "xml_response",
]
