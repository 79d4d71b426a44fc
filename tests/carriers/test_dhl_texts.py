"""DHL's free text refines its five status codes only when the whole sentence is a known phrasing.

The sentences here are not in the recorded fixtures: negations, attempts, line-haul and
international legs, extra words, other languages, odd spacing and punctuation.
"""

import json

import httpx
import pytest

from carriers.registry import build_adapter
from carriers.types import CarrierConfig, Reason, Status

NUMBER = "7777777770"


def dhl_answer(status_code: str, description: str, *, title: str = "", headers: dict[str, str] | None = None):
    """A DHL Unified answer with one event, fetched through the adapter."""
    event = {
        "timestamp": "2025-03-04T08:15:00+01:00",
        "location": {"address": {"addressLocality": "WARSAW - POLAND"}},
        "statusCode": status_code,
        "status": title or status_code,
        "description": description,
    }
    body = {"shipments": [{"id": NUMBER, "service": "express", "status": event, "events": [event]}]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    adapter = build_adapter("dhl", config=CarrierConfig(base_url="https://dhl.test", api_key="k"), client=client)
    return adapter.fetch([NUMBER])[NUMBER]


@pytest.mark.parametrize(
    ("status_code", "description", "expected"),
    [
        # whole known phrasings, whatever the case, spacing and punctuation
        ("transit", "  shipment is OUT with courier   for delivery. ", (Status.OUT_FOR_DELIVERY, "")),
        ("transit", "Departed Facility in WARSAW - POLAND", (Status.IN_TRANSIT, "")),
        ("transit", "Arrived at DHL Sort Facility  BRUSSELS - BELGIUM", (Status.IN_TRANSIT, "")),
        ("transit", "The shipment is ready for pickup at the Packstation 123", (Status.AVAILABLE_FOR_PICKUP, "")),
        ("transit", "Shipment picked up", (Status.IN_TRANSIT, Reason.PICKED_UP)),
        ("failure", "The recipient has refused to accept the shipment", (Status.FAILED_ATTEMPT, Reason.REFUSED)),
        ("delivered", "Delivered - Signed for by: ANNA NOWAK", (Status.DELIVERED, "")),
        ("delivered", "The shipment has been delivered back to the sender.", (Status.RETURNED_TO_SENDER, "")),
        ("pre-transit", "Shipment information received", (Status.INFO_RECEIVED, "")),
        (
            "transit",
            "Shipment delay: the shipment could not be forwarded as planned",
            (Status.IN_TRANSIT, Reason.DELAYED),
        ),
        (
            "failure",
            "The shipment was not picked up within the storage period",
            (Status.EXCEPTION, Reason.PICKUP_EXPIRED),
        ),
        # other languages
        ("transit", "Die Sendung wurde in das Zustellfahrzeug geladen.", (Status.OUT_FOR_DELIVERY, "")),
        ("transit", "Die Sendung liegt in der Packstation 112 zur Abholung bereit.", (Status.AVAILABLE_FOR_PICKUP, "")),
        ("failure", "Der Empfänger wurde nicht angetroffen.", (Status.FAILED_ATTEMPT, Reason.RECIPIENT_ABSENT)),
        ("transit", "Przesyłka wydana kurierowi do doręczenia", (Status.OUT_FOR_DELIVERY, "")),
        ("delivered", "PRZESYŁKA DORĘCZONA", (Status.DELIVERED, "")),
    ],
)
def test_a_whole_known_phrasing_refines_the_code(status_code, description, expected):
    # when DHL says it in one of its known phrasings
    result = dhl_answer(status_code, description)

    # then the event means what the phrasing says, and nothing is left for review
    event = result.latest_event
    assert (event.status, event.reason) == expected
    assert event.text == description
    assert event.unrecognized_text == ""
    assert event.review_code == ""
    assert result.unrecognized_texts == ()


@pytest.mark.parametrize(
    ("status_code", "description", "expected"),
    [
        # negations
        ("transit", "Shipment is not out with courier for delivery", (Status.IN_TRANSIT, "")),
        ("transit", "The shipment could not be loaded onto the delivery vehicle", (Status.IN_TRANSIT, "")),
        ("transit", "Die Sendung wurde nicht in das Zustellfahrzeug geladen.", (Status.IN_TRANSIT, "")),
        ("transit", "Przesyłka nie została wydana kurierowi do doręczenia", (Status.IN_TRANSIT, "")),
        ("failure", "The recipient has not refused to accept the shipment", (Status.EXCEPTION, "")),
        # attempts that did not (yet) happen or are something else
        ("transit", "Delivery will be attempted tomorrow", (Status.IN_TRANSIT, "")),
        ("failure", "Delivery attempt not made: address incomplete", (Status.EXCEPTION, "")),
        # line-haul and international legs
        ("transit", "Shipment is out with courier for delivery to the line-haul hub", (Status.IN_TRANSIT, "")),
        ("transit", "Out for delivery to the international gateway", (Status.IN_TRANSIT, "")),
        ("transit", "International leg: customs clearance to follow at destination", (Status.IN_TRANSIT, "")),
        # extra words around a known phrasing
        ("transit", "Shipment picked up from the wrong address, returned to the depot", (Status.IN_TRANSIT, "")),
        ("delivered", "The shipment has been delivered to a neighbour, not returned to sender", (Status.DELIVERED, "")),
        ("transit", "The shipment is ready for pickup at the retail outlet of the sender", (Status.IN_TRANSIT, "")),
    ],
)
def test_a_sentence_merely_containing_a_known_phrase_keeps_the_code_mapping_and_is_listed(
    status_code, description, expected
):
    # when DHL's sentence is not one of its known phrasings
    result = dhl_answer(status_code, description)

    # then the code's own mapping stands, the text is kept verbatim and marked for review
    event = result.latest_event
    assert (event.status, event.reason) == expected
    assert event.text == description
    assert event.mapped is True
    assert event.unrecognized_text != ""
    assert event.review_code == f"{status_code} text: {event.unrecognized_text}"
    assert result.unrecognized_texts == (event.unrecognized_text,)
    assert result.unmapped_codes == ()


def test_the_unrecognized_text_is_recorded_normalized():
    result = dhl_answer("transit", "Shipment is NOT  out for delivery!")

    assert result.latest_event.unrecognized_text == "shipment is not out for delivery"
    assert result.latest_event.review_code == "transit text: shipment is not out for delivery"


def test_the_status_title_is_read_only_when_there_is_no_description():
    # given a known title but a sentence DHL has not used before
    with_sentence = dhl_answer(
        "transit", "Out for delivery - vehicle breakdown, redelivery tomorrow", title="OUT FOR DELIVERY"
    )
    # and a known title alone
    title_only = dhl_answer("transit", "", title="OUT FOR DELIVERY")

    # then the sentence decides (and is unrecognized), the title only stands in for a missing one
    assert (with_sentence.status, with_sentence.latest_event.text) == (
        Status.IN_TRANSIT,
        "Out for delivery - vehicle breakdown, redelivery tomorrow",
    )
    assert with_sentence.unrecognized_texts == ("out for delivery vehicle breakdown redelivery tomorrow",)
    assert (title_only.status, title_only.latest_event.text, title_only.unrecognized_texts) == (
        Status.OUT_FOR_DELIVERY,
        "OUT FOR DELIVERY",
        (),
    )


def test_an_unmapped_code_is_not_read_for_text_and_counts_as_the_code():
    result = dhl_answer("on-hold", "Shipment out with courier for delivery")

    event = result.latest_event
    assert (event.status, event.mapped, event.unrecognized_text, event.review_code) == (None, False, "", "on-hold")
    assert result.unrecognized_texts == ()


def test_a_phrasing_known_for_another_code_does_not_refine_this_one():
    # "delivered back to the sender" is a "delivered" phrasing; under "failure" it is not known
    result = dhl_answer("failure", "The shipment has been delivered back to the sender")

    assert (result.status, result.reason) == (Status.EXCEPTION, "")
    assert result.unrecognized_texts == ("the shipment has been delivered back to the sender",)


def test_an_answer_dhl_labels_german_is_read_in_german():
    result = dhl_answer(
        "transit", "Die Sendung wurde im Ziel-Paketzentrum bearbeitet.", headers={"Content-Language": "de-DE"}
    )

    assert (result.status, result.unrecognized_texts) == (Status.IN_TRANSIT, ())
