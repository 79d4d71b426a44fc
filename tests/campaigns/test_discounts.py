"""Discount pools: generation, upload, allocation exactly once, expiry, empty pools, redemptions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.discounts import (
    CODE_ALPHABET,
    discount_code_allocate,
    discount_codes_generate,
    discount_codes_upload,
    discount_redemptions_record,
)
from campaigns.models import DiscountAllocation, DiscountCode, DiscountRedemption
from campaigns.rows import RowError
from campaigns.selectors import pool_is_low, pool_remaining, pools_running_low
from tests.campaigns.factories import CampaignFactory, DiscountCodeFactory, DiscountPoolFactory
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_generated_codes_follow_the_pattern_and_are_unique(shop):
    pool = DiscountPoolFactory(shop=shop, kind="generated")

    added = discount_codes_generate(pool=pool, pattern="SORRY-????-??", count=200)

    codes = list(DiscountCode.objects.filter(pool=pool).values_list("code", flat=True))
    assert added == 200
    assert len(set(codes)) == 200
    assert all(code.startswith("SORRY-") and len(code) == 13 for code in codes)
    assert all(char in CODE_ALPHABET for code in codes for char in code[6:].replace("-", ""))


def test_a_guessable_pattern_is_refused(shop):
    pool = DiscountPoolFactory(shop=shop, kind="generated")

    with pytest.raises(ValidationError) as error:
        discount_codes_generate(pool=pool, pattern="SORRY-???", count=10)

    assert "at least 6" in str(error.value)
    assert DiscountCode.objects.count() == 0


def test_uploaded_codes_all_or_nothing(shop):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="EXISTING")

    result = discount_codes_upload(
        pool=pool, rows=[{"code": "NEW-1"}, {"code": "x"}, {"code": "new-1"}, {"code": "existing"}]
    )

    assert result.errors == [
        RowError(2, "code", "'x': 3 to 64 letters, digits, - or _"),
        RowError(3, "code", "'new-1' is already in row 1"),
        RowError(4, "code", "'existing' is already in this pool"),
    ]
    assert list(DiscountCode.objects.values_list("code", flat=True)) == ["EXISTING"]


def test_uploaded_codes_are_stored_when_valid(shop):
    pool = DiscountPoolFactory(shop=shop)

    result = discount_codes_upload(pool=pool, rows=[{"code": "A-123"}, {"code": "B-456"}])

    assert (result.created, result.errors) == (2, [])
    assert sorted(DiscountCode.objects.values_list("code", flat=True)) == ["A-123", "B-456"]


def test_unique_code_is_allocated_once_per_order_and_reused_on_retry(shop):
    pool = DiscountPoolFactory(shop=shop, valid_days=30)
    DiscountCodeFactory(pool=pool, code="FIRST")
    DiscountCodeFactory(pool=pool, code="SECOND")
    campaign = CampaignFactory(shop=shop, discount_pool=pool)
    order = OrderFactory(shop=shop)

    first = discount_code_allocate(pool=pool, order=order, campaign=campaign, variant="B", now=NOW)
    again = discount_code_allocate(pool=pool, order=order, campaign=campaign, variant="B", now=NOW)

    assert first.allocation.code == "FIRST"
    assert again.allocation.pk == first.allocation.pk
    assert first.allocation.expires_at == NOW + timedelta(days=30)
    assert (first.allocation.campaign_id, first.allocation.variant) == (campaign.pk, "B")
    assert DiscountCode.objects.filter(allocated_at__isnull=False).count() == 1
    assert pool_remaining(pool=pool) == 1


def test_two_orders_get_different_codes(shop):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code="ONE")
    DiscountCodeFactory(pool=pool, code="TWO")

    codes = {
        discount_code_allocate(pool=pool, order=OrderFactory(shop=shop), now=NOW).allocation.code for _ in range(2)
    }

    assert codes == {"ONE", "TWO"}


def test_empty_pool_gives_no_code_and_says_why(shop):
    pool = DiscountPoolFactory(shop=shop, name="Thanks")
    order = OrderFactory(shop=shop)

    outcome = discount_code_allocate(pool=pool, order=order, now=NOW)

    assert outcome.allocation is None
    assert outcome.note == "discount pool 'Thanks' is empty"
    assert DiscountAllocation.objects.count() == 0


def test_expired_pool_gives_no_code(shop):
    pool = DiscountPoolFactory(shop=shop, name="Old", expires_at=NOW - timedelta(days=1))
    DiscountCodeFactory(pool=pool)

    outcome = discount_code_allocate(pool=pool, order=OrderFactory(shop=shop), now=NOW)

    assert (outcome.allocation, outcome.note) == (None, "discount pool 'Old' expired")
    assert DiscountCode.objects.filter(allocated_at__isnull=False).count() == 0


def test_code_expiry_is_the_earlier_of_pool_end_and_validity(shop):
    pool = DiscountPoolFactory(shop=shop, expires_at=NOW + timedelta(days=5), valid_days=30)
    DiscountCodeFactory(pool=pool)

    outcome = discount_code_allocate(pool=pool, order=OrderFactory(shop=shop), now=NOW)

    assert outcome.allocation.expires_at == NOW + timedelta(days=5)


def test_shared_code_is_recorded_per_order_without_stock(shop):
    pool = DiscountPoolFactory(shop=shop, kind="shared", shared_code="WELCOME10")

    outcome = discount_code_allocate(pool=pool, order=OrderFactory(shop=shop), now=NOW)

    assert outcome.allocation.code == "WELCOME10"
    assert outcome.allocation.discount_code_id is None
    assert pool_remaining(pool=pool) is None


def test_pool_of_another_shop_cannot_allocate(shop, other_shop):
    pool = DiscountPoolFactory(shop=other_shop)
    DiscountCodeFactory(pool=pool)

    with pytest.raises(ValueError, match="different shops"):
        discount_code_allocate(pool=pool, order=OrderFactory(shop=shop), now=NOW)

    assert DiscountAllocation.objects.count() == 0


def test_low_pools_are_listed(shop, other_shop):
    low = DiscountPoolFactory(shop=shop, name="Low", low_stock_threshold=3)
    DiscountCodeFactory(pool=low)
    plenty = DiscountPoolFactory(shop=shop, name="Plenty", low_stock_threshold=1)
    DiscountCodeFactory(pool=plenty)
    DiscountPoolFactory(shop=other_shop, low_stock_threshold=5)

    assert [(pool.name, free) for pool, free in pools_running_low(shop_ids=[shop.pk])] == [("Low", 1)]
    assert pool_is_low(pool=low) is True
    assert pool_is_low(pool=plenty) is False


def _allocated(shop, code="GIFT-1", variant="B"):
    pool = DiscountPoolFactory(shop=shop)
    DiscountCodeFactory(pool=pool, code=code)
    campaign = CampaignFactory(shop=shop, discount_pool=pool, variants="A:50,B:50")
    order = OrderFactory(shop=shop)
    allocation = discount_code_allocate(pool=pool, order=order, campaign=campaign, variant=variant, now=NOW).allocation
    return campaign, allocation


def test_redemption_of_a_unique_code_is_attributed_to_its_campaign_and_variant(shop):
    campaign, allocation = _allocated(shop)

    result = discount_redemptions_record(
        shop=shop, rows=[{"code": "gift-1", "order_number": "2001", "amount": "199.00", "currency": "PLN"}]
    )

    assert (result.created, result.errors, result.skipped) == (1, [], [])
    redemption = DiscountRedemption.objects.get()
    assert (redemption.campaign_id, redemption.variant, redemption.allocation_id, redemption.amount) == (
        campaign.pk,
        "B",
        allocation.pk,
        Decimal("199.00"),
    )


def test_repeated_redemption_changes_nothing(shop):
    _allocated(shop)
    row = {"code": "GIFT-1", "order_number": "2001", "amount": "10"}
    discount_redemptions_record(shop=shop, rows=[row])

    result = discount_redemptions_record(shop=shop, rows=[row])

    assert (result.created, result.unchanged, result.errors) == (0, 1, [])
    assert DiscountRedemption.objects.count() == 1


def test_single_use_code_used_in_a_second_order_is_an_error_and_nothing_is_stored(shop):
    _allocated(shop)
    discount_redemptions_record(shop=shop, rows=[{"code": "GIFT-1", "order_number": "2001"}])

    result = discount_redemptions_record(
        shop=shop,
        rows=[{"code": "GIFT-1", "order_number": "2002"}],
    )

    assert result.errors == [RowError(1, "code", "'GIFT-1' is single-use and was used in #2001")]
    assert DiscountRedemption.objects.count() == 1


def test_unknown_codes_are_skipped_not_stored(shop):
    _allocated(shop)

    result = discount_redemptions_record(
        shop=shop, rows=[{"code": "GIFT-1", "order_number": "1"}, {"code": "NOT-OURS", "order_number": "2"}]
    )

    assert result.created == 1
    assert result.skipped == [RowError(2, "code", "'NOT-OURS' was not given out by Parcelfront")]
    assert list(DiscountRedemption.objects.values_list("code", flat=True)) == ["GIFT-1"]


def test_bad_redemption_rows_store_nothing(shop):
    _allocated(shop)

    result = discount_redemptions_record(
        shop=shop,
        rows=[
            {"code": "GIFT-1", "order_number": "1"},
            {"code": "", "order_number": "2", "amount": "abc", "redeemed_at": "yesterday"},
        ],
    )

    assert result.errors == [
        RowError(2, "code", "is required (at most 64 characters)"),
        RowError(2, "amount", "'abc' is not a number (e.g. 49.90)"),
        RowError(2, "redeemed_at", "'yesterday' is not a date (use 2026-11-20 or 2026-11-20T14:30:00+01:00)"),
    ]
    assert DiscountRedemption.objects.count() == 0


def test_codes_of_another_shop_are_not_redeemed(shop, other_shop):
    _allocated(other_shop, code="THEIRS")

    result = discount_redemptions_record(shop=shop, rows=[{"code": "THEIRS", "order_number": "1"}])

    assert result.created == 0
    assert len(result.skipped) == 1
    assert DiscountRedemption.objects.count() == 0


def test_shared_code_redemption_finds_the_variant_by_customer_email(shop):
    pool = DiscountPoolFactory(shop=shop, kind="shared", shared_code="SUMMER")
    campaign = CampaignFactory(shop=shop, discount_pool=pool, variants="A:50,B:50")
    order = OrderFactory(shop=shop, customer_email="ola@example.com")
    discount_code_allocate(pool=pool, order=order, campaign=campaign, variant="A", now=NOW)

    discount_redemptions_record(
        shop=shop,
        rows=[
            {"code": "summer", "order_number": "3001", "amount": "50", "customer_email": "OLA@example.com"},
            {"code": "SUMMER", "order_number": "3002", "amount": "70"},
        ],
    )

    assert sorted(DiscountRedemption.objects.values_list("order_number", "campaign_id", "variant")) == [
        ("3001", campaign.pk, "A"),
        ("3002", campaign.pk, ""),
    ]


def test_single_use_is_enforced_whatever_the_case_of_the_reported_code(shop):
    _allocated(shop)
    discount_redemptions_record(shop=shop, rows=[{"code": "GIFT-1", "order_number": "2001"}])

    repeat = discount_redemptions_record(shop=shop, rows=[{"code": "gift-1", "order_number": "2001"}])
    reuse = discount_redemptions_record(shop=shop, rows=[{"code": "gift-1", "order_number": "2002"}])

    assert (repeat.unchanged, repeat.errors) == (1, [])
    assert reuse.errors == [RowError(1, "code", "'gift-1' is single-use and was used in #2001")]
    assert DiscountRedemption.objects.count() == 1
