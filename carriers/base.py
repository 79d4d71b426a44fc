"""The carrier adapter base class: the base orchestrates, each carrier fills in two hooks.

Writing an adapter (one module per carrier in ``carriers/``; the registry imports every module
there, so registering is enough)::

    from carriers.base import CarrierAdapter
    from carriers.registry import register
    from carriers.types import Reason, Status, TrackingError, TrackingResult

    @register
    class AcmeAdapter(CarrierAdapter):
        code = "acme"                        # stable id, stored in the database; never rename
        name = "ACME Express"                # shown to shop owners
        batch_size = 1                       # numbers per API call (1 = one-number-per-call API)
        timezone = "Europe/Warsaw"           # zone of the carrier's naive timestamps
        default_base_url = "https://api.acme.example"
        tracking_url_template = "https://acme.example/track?n={number}"
        status_map = {                       # raw code -> (normalized status or None, reason)
            "PU": (Status.IN_TRANSIT, Reason.PICKED_UP),
            "DL": (Status.DELIVERED, ""),
            "NOTE": (None, ""),              # known code that says nothing about status
        }
        family_map = {"EX": (Status.EXCEPTION, "")}  # prefix fallback for codes not in status_map

        def build_request(self, numbers):    # numbers: at most batch_size of them
            return self.make_request("GET", f"/track/{numbers[0]}",
                                     headers={"Authorization": f"Bearer {self.config.api_key}"})

        def parse_response(self, numbers, response):
            body = self.json_body(response)
            events = [self.event(self.parse_time(e["time"]), e["code"], e["text"], e.get("place", ""))
                      for e in body["events"]]
            return {numbers[0]: self.result(numbers[0], events, raw=body, service=body.get("service", ""))}

Rules the base enforces, so adapters need not repeat them:

* ``fetch`` never raises. Network errors, HTTP error statuses (``classify_response``), malformed
  bodies (any ``KeyError``/``TypeError``/``ValueError``/XML error raised while parsing) and even bugs
  become one ``TrackingError`` per number; a number missing from a batch answer is ``not_found``.
* Every request carries ``config.timeout``, also one an adapter built itself with ``httpx.Request``.
* Raise ``CarrierFailure(TrackingError(...))`` anywhere in the hooks to fail the current chunk with a
  specific error; return a ``TrackingError`` for a single number to fail just that number; wrap the
  parsing of one number of a batch in ``self.parse_guarded(...)`` so a bad entry spoils only itself.
* Override ``classify_response`` when the carrier signals errors unusually (200 with an error body,
  400 for unknown numbers, SOAP faults); call ``super()`` for everything else.
* Override ``fetch_chunk`` for multi-step flows (log in / OAuth token, then track); keep using
  ``make_request``/``send`` so timeouts and error typing still apply.
* Keep texts verbatim in events; put mapping in ``status_map``/``family_map`` (data), never in code.
  A carrier whose texts refine its codes sets ``phrasebook`` (``carriers.phrases``): ``event`` then
  reads the text as a whole known phrasing or marks it unrecognized, never searches inside it.
* ``parse_push`` turns a pushed body into the same results polling produces. The base reads only
  Parcelfront's relay format (``carriers.push``); a carrier that pushes in its own format overrides
  it and raises ``MalformedPush`` for what it cannot read.
* Override ``dedupe_key_for`` when a carrier's push and poll report the same scan with different
  fields, so both derive one key from what they share.
"""

from __future__ import annotations

import json
import logging
import math
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import defusedxml
import defusedxml.ElementTree
import httpx

from carriers.phrases import Phrasebook, normalize_phrase
from carriers.push import PushNotSupported, is_relay_push, push_document, relay_push_result
from carriers.types import (
    FINAL_STATUSES,
    CarrierConfig,
    CarrierFailure,
    ErrorKind,
    MalformedResponse,
    PickupPoint,
    ProofOfDelivery,
    Status,
    TrackingError,
    TrackingEvent,
    TrackingResult,
    event_dedupe_key,
)

logger = logging.getLogger("carriers")

Outcome = TrackingResult | TrackingError
StatusMapping = Mapping[str, tuple[Status | None, str]]

# Exceptions that mean "the body is not what we expected" rather than "our code is broken".
# ET.ParseError is a SyntaxError, so it has to be named; defusedxml's refusals are ValueErrors.
_PAYLOAD_ERRORS: tuple[type[BaseException], ...] = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    ET.ParseError,
    defusedxml.DefusedXmlException,
)

_BODY_SNIPPET = 200


class CarrierAdapter(ABC):
    """Fetches tracking for one carrier; subclasses implement `build_request` and `parse_response`."""

    code: ClassVar[str]
    name: ClassVar[str]
    # Not a ClassVar: an adapter may set it per instance when the batch size is per account.
    batch_size: int = 1
    timezone: ClassVar[str] = "UTC"
    # Carriers serving accounts in many zones: `config.extra["timezone"]` names the account's zone instead.
    timezone_from_config: ClassVar[bool] = False
    default_base_url: ClassVar[str] = ""
    tracking_url_template: ClassVar[str] = ""
    status_map: ClassVar[StatusMapping] = {}
    family_map: ClassVar[StatusMapping] = {}
    # Known wordings refining some codes; None: this carrier's texts are only shown, never read.
    phrasebook: ClassVar[Phrasebook | None] = None
    # Statuses that mean "this number is unknown" for this carrier's tracking endpoint.
    not_found_http_statuses: ClassVar[frozenset[int]] = frozenset({404})

    def __init__(self, *, config: CarrierConfig, client: httpx.Client) -> None:
        self.config = config
        self.client = client
        account_zone = config.extra.get("timezone", "") if self.timezone_from_config else ""
        self.zone = ZoneInfo(account_zone or self.timezone)

    # ----------------------------------------------------------------- public API

    @property
    def base_url(self) -> str:
        """The configured base URL (for tests and staging) or the carrier's production one."""
        return (self.config.base_url or self.default_base_url).rstrip("/")

    @classmethod
    def tracking_url(cls, number: str) -> str:
        """The carrier's public tracking page for `number`, for customers; empty if it has none."""
        if not cls.tracking_url_template:
            return ""
        return cls.tracking_url_template.format(number=quote(number, safe=""))

    def fetch(self, tracking_numbers: Sequence[str]) -> dict[str, Outcome]:
        """One outcome per distinct number, in input order; never raises for the batch."""
        numbers = list(dict.fromkeys(tracking_numbers))
        outcomes: dict[str, Outcome] = {}
        size = max(1, self.batch_size)
        for start in range(0, len(numbers), size):
            chunk = numbers[start : start + size]
            outcomes.update(self._fetch_chunk_safely(chunk))
        return outcomes

    # ----------------------------------------------------------------- hooks

    def parse_push(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingResult]:
        """The results a pushed body stands for, like polling's; raises MalformedPush saying what is wrong.

        The base reads Parcelfront's relay format, which any carrier's updates can be sent in, and
        refuses anything else: the carrier has no push format of its own. Override for one that has.
        """
        document = push_document(body)
        if not is_relay_push(document):
            raise PushNotSupported(
                f"{self.name} does not push in a format of its own; "
                'relay its updates as {"tracking_number": ..., "events": [...]}'
            )
        return [relay_push_result(self, document)]

    def dedupe_key_for(self, occurred_at: datetime, raw_code: str, text: str, location: str) -> str:
        """The key that makes a repeated report of one scan the same event (see TrackingEvent)."""
        return event_dedupe_key(occurred_at, raw_code, text, location)

    def fetch_chunk(self, numbers: Sequence[str]) -> Mapping[str, Outcome]:
        """Fetch up to `batch_size` numbers; override for multi-request flows (login, OAuth)."""
        response = self.send(self.build_request(numbers))
        return self.parse_response(numbers, response)

    @abstractmethod
    def build_request(self, numbers: Sequence[str]) -> httpx.Request:
        """The HTTP request asking about `numbers` (at most `batch_size`); use `make_request`."""

    @abstractmethod
    def parse_response(self, numbers: Sequence[str], response: httpx.Response) -> Mapping[str, Outcome]:
        """Outcomes for the numbers found in a successful response; missing ones become not_found."""

    def classify_response(self, response: httpx.Response) -> TrackingError | None:
        """The error a response stands for, or None to parse it. Override for carrier quirks."""
        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = self.describe_response(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            return TrackingError(ErrorKind.RATE_LIMITED, f"rate limited: {detail}", retry_after, status)
        if status in (401, 403):
            return TrackingError(ErrorKind.AUTH, f"credentials rejected: {detail}", None, status)
        if status in self.not_found_http_statuses:
            return TrackingError(ErrorKind.NOT_FOUND, f"not found: {detail}", None, status)
        if status == 408 or status >= 500:
            return TrackingError(ErrorKind.TRANSIENT, f"carrier unavailable: {detail}", retry_after, status)
        return TrackingError(ErrorKind.CARRIER_ERROR, f"unexpected answer: {detail}", None, status)

    # ----------------------------------------------------------------- helpers for subclasses

    def url(self, path: str) -> str:
        """`path` (starting with "/") under the base URL."""
        return f"{self.base_url}{path}"

    def make_request(
        self,
        method: str,
        url_or_path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: str | bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A request on the injected client with the configured timeout; paths join the base URL."""
        url = self.url(url_or_path) if url_or_path.startswith("/") else url_or_path
        return self.client.build_request(
            method,
            url,
            params=params,
            headers=headers,
            json=json_body,
            content=content,
            data=form,
            timeout=self.config.timeout,
        )

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send with the configured timeout; raise CarrierFailure for transport errors and error statuses."""
        # Enforced here too, so a request built by hand cannot fall back to the client's default.
        request.extensions["timeout"] = httpx.Timeout(self.config.timeout).as_dict()
        try:
            response = self.client.send(request)
        except httpx.TimeoutException as exc:
            raise CarrierFailure(
                TrackingError(ErrorKind.TRANSIENT, f"{self.name} timed out: {type(exc).__name__}")
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            # A misconfigured base URL will not fix itself by retrying.
            raise CarrierFailure(
                TrackingError(ErrorKind.CARRIER_ERROR, f"{self.name} base URL is unusable: {exc}")
            ) from exc
        except httpx.TransportError as exc:
            raise CarrierFailure(
                TrackingError(ErrorKind.TRANSIENT, f"{self.name} unreachable: {type(exc).__name__}: {exc}")
            ) from exc
        except httpx.RequestError as exc:
            # Undecodable content, redirect loops: the carrier answered, but unusably.
            raise CarrierFailure(
                TrackingError(ErrorKind.CARRIER_ERROR, f"{self.name} answer unusable: {type(exc).__name__}: {exc}")
            ) from exc
        error = self.classify_response(response)
        if error is not None:
            raise CarrierFailure(error)
        return response

    def describe_response(self, response: httpx.Response) -> str:
        """A short, loggable description of a response: status and the start of its body."""
        snippet = " ".join(response.text[:_BODY_SNIPPET].split())
        return f"HTTP {response.status_code} from {self.name}" + (f": {snippet}" if snippet else "")

    def json_body(self, response: httpx.Response) -> Any:
        """The decoded JSON body, or MalformedResponse saying why not."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedResponse(f"{self.name} sent a body that is not JSON: {exc}") from exc

    def xml_body(self, response: httpx.Response) -> ET.Element:
        """The parsed XML root, refusing entity tricks (defusedxml), or MalformedResponse."""
        try:
            return defusedxml.ElementTree.fromstring(response.content)
        except (ET.ParseError, defusedxml.DefusedXmlException) as exc:
            raise MalformedResponse(f"{self.name} sent a body that is not acceptable XML: {exc}") from exc

    def parse_time(self, value: str | datetime) -> datetime:
        """An aware datetime; naive values are read in the carrier's `timezone`."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and value.strip():
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise MalformedResponse(f"{self.name} sent an unreadable time {value!r}") from exc
        else:
            raise MalformedResponse(f"{self.name} sent no usable time: {value!r}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment

    def map_status(self, raw_code: str) -> tuple[Status | None, str, bool]:
        """(status, reason, mapped) for a raw code: exact map, else longest family prefix, else None.

        Anything not in `status_map` is logged, so the mapping can be completed from real traffic.
        """
        if raw_code in self.status_map:
            status, reason = self.status_map[raw_code]
            return status, str(reason), True
        families = [prefix for prefix in self.family_map if raw_code.startswith(prefix)]
        family = max(families, key=len, default=None)
        status, reason = self.family_map[family] if family is not None else (None, "")
        logger.warning(
            "carrier %s sent unmapped status code %r (family status: %s)",
            self.code,
            raw_code,
            status,
            extra={"carrier": self.code, "raw_code": raw_code},
        )
        return status, str(reason), False

    def event(
        self, occurred_at: datetime, raw_code: str, text: str, location: str = "", *, languages: Iterable[str] = ()
    ) -> TrackingEvent:
        """A TrackingEvent with its status mapped from `raw_code`, refined by a whole known phrasing of
        `text` when the carrier has a `phrasebook` (`languages`: the one the text is in first).

        `text` is kept verbatim; a text the phrasebook does not know leaves the code's mapping and
        marks the event `unrecognized_text`.
        """
        status, reason, mapped = self.map_status(raw_code)
        unrecognized = ""
        book = self.phrasebook
        if mapped and book is not None and raw_code in book.codes and text.strip():
            meaning = book.read(raw_code, text, languages=languages)
            if meaning is not None:
                status, reason = meaning[0], str(meaning[1])
            else:
                unrecognized = normalize_phrase(text)
                logger.warning(
                    "carrier %s sent unrecognized text %r for code %r (code's status: %s)",
                    self.code,
                    text,
                    raw_code,
                    status,
                    extra={"carrier": self.code, "raw_code": raw_code},
                )
        return TrackingEvent(
            occurred_at=occurred_at,
            status=status,
            reason=reason,
            raw_code=raw_code,
            text=text,
            location=location,
            mapped=mapped,
            unrecognized_text=unrecognized,
            dedupe_key=self.dedupe_key_for(occurred_at, raw_code, text, location),
        )

    def result(
        self,
        number: str,
        events: Iterable[TrackingEvent],
        *,
        eta_from: datetime | None = None,
        eta_to: datetime | None = None,
        pickup_point: PickupPoint | None = None,
        proof_of_delivery: ProofOfDelivery | None = None,
        service: str = "",
        raw: Mapping[str, Any] | str | None = None,
    ) -> TrackingResult:
        """A TrackingResult with events sorted oldest first and status taken from the newest one.

        The sort is stable: pass same-instant events in the order they happened.
        Events without a status (unknown codes, informational codes) do not change the status.
        """
        ordered = tuple(sorted(events, key=lambda event: event.occurred_at))
        latest = next((event for event in reversed(ordered) if event.status is not None), None)
        status = latest.status if latest is not None else None
        unmapped = tuple(dict.fromkeys(event.raw_code for event in ordered if not event.mapped))
        unrecognized = tuple(dict.fromkeys(event.unrecognized_text for event in ordered if event.unrecognized_text))
        return TrackingResult(
            carrier=self.code,
            tracking_number=number,
            events=ordered,
            status=status,
            reason=latest.reason if latest is not None else "",
            eta_from=eta_from,
            eta_to=eta_to,
            pickup_point=pickup_point,
            proof_of_delivery=proof_of_delivery,
            service=service,
            is_final=status in FINAL_STATUSES,
            raw=raw,
            unmapped_codes=unmapped,
            unrecognized_texts=unrecognized,
        )

    def parse_guarded(self, number: str, parse: Callable[[], Outcome]) -> Outcome:
        """Run `parse` for one number of a batch; a malformed entry becomes that number's error only."""
        try:
            return parse()
        except CarrierFailure as failure:
            return failure.error
        except _PAYLOAD_ERRORS as exc:
            return self._malformed(exc)

    # ----------------------------------------------------------------- internals

    def _fetch_chunk_safely(self, chunk: Sequence[str]) -> dict[str, Outcome]:
        try:
            answered = dict(self.fetch_chunk(chunk))
        except CarrierFailure as failure:
            return dict.fromkeys(chunk, failure.error)
        except _PAYLOAD_ERRORS as exc:
            return dict.fromkeys(chunk, self._malformed(exc))
        except Exception as exc:
            # A bug in one adapter must not take down the polling batch; it is logged loudly instead.
            logger.exception("carrier %s adapter failed on %d number(s)", self.code, len(chunk))
            error = TrackingError(ErrorKind.CARRIER_ERROR, f"{self.name} adapter error: {type(exc).__name__}: {exc}")
            return dict.fromkeys(chunk, error)
        missing = TrackingError(ErrorKind.NOT_FOUND, f"{self.name} did not report this number")
        return {number: answered.get(number, missing) for number in chunk}

    def _malformed(self, exc: BaseException) -> TrackingError:
        logger.warning("carrier %s sent a malformed response: %r", self.code, exc)
        message = str(exc) if isinstance(exc, MalformedResponse) else f"{type(exc).__name__}: {exc}"
        return TrackingError(ErrorKind.CARRIER_ERROR, f"malformed {self.name} response: {message}")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            # RFC 9110 dates are GMT; parsedate returns naive for "-0000".
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
