"""A/B variants: parsing, weights honoured, the same order always in the same variant."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.models import Campaign
from campaigns.selectors import parse_variants, variant_for_order


def test_variants_parse_with_weights_and_defaults():
    assert parse_variants("A:20, B:80") == [("A", 20), ("B", 80)]
    assert parse_variants("control, test:3") == [("control", 1), ("test", 3)]
    assert parse_variants("") == [("A", 100)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A:50, A:50", "variant 'A' is listed twice"),
        ("A:x", "the weight after ':' must be a whole number"),
        ("A:-1", "a weight cannot be negative"),
        ("A:0, B:0", "at least one variant needs a weight above 0"),
        ("A B:1", "a variant key is 1 to 16 letters or digits"),
    ],
)
def test_bad_variant_lists_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_variants(text)


def test_weights_are_honoured_over_many_orders():
    campaign = Campaign(pk=7, variants="A:20, B:80")

    counts = Counter(variant_for_order(campaign=campaign, order_id=order_id) for order_id in range(1, 20001))

    assert set(counts) == {"A", "B"}
    assert 0.18 < counts["A"] / 20000 < 0.22


def test_a_zero_weight_variant_never_gets_orders():
    campaign = Campaign(pk=3, variants="A:0, B:1")

    assert {variant_for_order(campaign=campaign, order_id=order_id) for order_id in range(1, 500)} == {"B"}


@given(order_id=st.integers(min_value=1, max_value=2**62), campaign_id=st.integers(min_value=1, max_value=2**31))
def test_assignment_is_deterministic_and_valid(order_id, campaign_id):
    campaign = Campaign(pk=campaign_id, variants="A:1, B:1, C:2")

    first = variant_for_order(campaign=campaign, order_id=order_id)

    assert first in {"A", "B", "C"}
    assert variant_for_order(campaign=campaign, order_id=order_id) == first
