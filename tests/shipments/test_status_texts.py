"""Customer-facing texts for statuses and reasons, in every supported language."""

import pytest

from carriers.types import Reason, Status
from shipments.status_texts import reason_explanation, shipment_explanation, status_explanation
from shops.languages import SUPPORTED_LANGUAGES


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_status_and_reason_has_a_text_in_every_language(language):
    assert all(status_explanation(status, language) for status in Status)
    assert all(reason_explanation(reason, language) for reason in Reason)


def test_explanation_prefers_the_reason_and_falls_back_to_the_status():
    assert shipment_explanation("in_transit", "customs", "en") == "Your parcel is going through customs clearance."
    assert shipment_explanation("in_transit", "", "en") == status_explanation("in_transit", "en")
    assert shipment_explanation("in_transit", "no_such_reason", "pl-PL") == status_explanation("in_transit", "pl")
