"""Discount codes: uploaded and generated pools, exactly-once allocation per order, redemptions."""

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from campaigns.models import Campaign, DiscountAllocation, DiscountCode, DiscountPool, DiscountRedemption
from campaigns.rows import MAX_BULK_ROWS, BulkResult, RowError, cell_text, parse_decimal, parse_when
from shipments.models import Order
from shops.models import Shop

MAX_GENERATED_CODES = 100_000
CODE_PATTERN_SLOT = "?"
CODE_MIN_RANDOM_SLOTS = 6
# No 0/O, 1/I/L: codes are typed by hand from an email.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")


def discount_codes_upload(
    *, pool: DiscountPool, rows: Iterable[Mapping[str, Any]], dry_run: bool = False
) -> BulkResult:
    """Add unique codes (rows with a ``code``) to an uploaded-codes pool, all or nothing."""
    result = BulkResult(dry_run=dry_run)
    if not pool.is_unique:
        result.errors.append(RowError(0, "pool", "a shared-code pool takes no uploaded codes"))
        return result
    codes: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if number > MAX_BULK_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_BULK_ROWS} rows per upload"))
            break
        code = cell_text(row, "code")
        if not CODE_RE.fullmatch(code):
            result.errors.append(RowError(number, "code", f"{code!r}: 3 to 64 letters, digits, - or _"))
        elif code.upper() in seen:
            result.errors.append(RowError(number, "code", f"{code!r} is already in row {seen[code.upper()]}"))
        else:
            seen[code.upper()] = number
            codes.append(code)
    # Codes are typed by hand and matched case-insensitively, so "abc" duplicates a stored "ABC".
    stored = (
        set(
            DiscountCode.objects.filter(pool=pool)
            .annotate(code_upper=Upper("code"))
            .filter(code_upper__in=list(seen))
            .values_list("code_upper", flat=True)
        )
        if codes
        else set()
    )
    for code in codes:
        if code.upper() in stored:
            result.errors.append(RowError(seen[code.upper()], "code", f"{code!r} is already in this pool"))
    result.errors.sort(key=lambda error: error.row)
    if result.errors:
        return result
    result.created = len(codes)
    if not dry_run:
        with transaction.atomic():
            DiscountCode.objects.bulk_create([DiscountCode(pool=pool, code=code) for code in codes], batch_size=1000)
    return result


def discount_codes_generate(*, pool: DiscountPool, pattern: str, count: int) -> int:
    """Add ``count`` new random unique codes to ``pool``; each ``?`` in ``pattern`` is a random character.

    ``pattern`` needs at least six ``?`` (e.g. ``SORRY-????-????``) so codes cannot be guessed.
    Returns how many were added.
    """
    if not pool.is_unique:
        raise ValidationError({"pool": "A shared-code pool has no generated codes."})
    slots = pattern.count(CODE_PATTERN_SLOT)
    if slots < CODE_MIN_RANDOM_SLOTS:
        raise ValidationError({"pattern": f"Use at least {CODE_MIN_RANDOM_SLOTS} '?' for the random part."})
    if not CODE_RE.fullmatch(pattern.replace(CODE_PATTERN_SLOT, "A")):
        raise ValidationError({"pattern": "Only letters, digits, - and _ around the '?' (at most 64 characters)."})
    if not 1 <= count <= MAX_GENERATED_CODES:
        raise ValidationError({"count": f"Between 1 and {MAX_GENERATED_CODES} codes at a time."})
    before = DiscountCode.objects.filter(pool=pool).count()
    target = before + count
    for _attempt in range(5):
        missing = target - DiscountCode.objects.filter(pool=pool).count()
        if missing <= 0:
            break
        candidates = {_code_from(pattern) for _ in range(missing)}
        DiscountCode.objects.bulk_create(
            [DiscountCode(pool=pool, code=code) for code in candidates], batch_size=1000, ignore_conflicts=True
        )
    return DiscountCode.objects.filter(pool=pool).count() - before


def _code_from(pattern: str) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) if char == CODE_PATTERN_SLOT else char for char in pattern)


@dataclass(frozen=True)
class AllocationOutcome:
    """The allocation an order holds in a pool, or None with the reason (empty, expired)."""

    allocation: DiscountAllocation | None
    note: str = ""


def discount_code_allocate(
    *,
    pool: DiscountPool,
    order: Order,
    campaign: Campaign | None = None,
    variant: str = "",
    now: datetime | None = None,
) -> AllocationOutcome:
    """Give ``order`` a code from ``pool``: exactly once per (pool, order), a unique code never twice.

    A retry returns the allocation already made. Unique codes are claimed with
    ``SELECT ... FOR UPDATE SKIP LOCKED`` (concurrent workers take different rows instead of waiting)
    plus a conditional update, so even a database without row locks cannot hand one code out twice.
    """
    if pool.shop_id != order.shop_id:
        raise ValueError("the pool and the order belong to different shops")
    existing = DiscountAllocation.objects.filter(pool=pool, order=order).first()
    if existing is not None:
        return AllocationOutcome(existing)
    now = now or timezone.now()
    if pool.expires_at is not None and pool.expires_at <= now:
        return AllocationOutcome(None, f"discount pool {pool.name!r} expired")
    expires_at = pool.expires_at
    if pool.valid_days:
        own_end = now + timedelta(days=pool.valid_days)
        expires_at = own_end if expires_at is None else min(expires_at, own_end)
    try:
        with transaction.atomic():
            if pool.is_unique:
                discount_code = _claim_free_code(pool=pool, now=now)
                if discount_code is None:
                    return AllocationOutcome(None, f"discount pool {pool.name!r} is empty")
                code = discount_code.code
            else:
                discount_code, code = None, pool.shared_code
                if not code:
                    return AllocationOutcome(None, f"discount pool {pool.name!r} has no shared code")
            allocation = DiscountAllocation.objects.create(
                pool=pool,
                order=order,
                discount_code=discount_code,
                code=code,
                campaign=campaign,
                variant=variant,
                allocated_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:
        # Another worker allocated for the same order first; our claim rolled back with the savepoint.
        existing = DiscountAllocation.objects.filter(pool=pool, order=order).first()
        if existing is None:
            raise
        return AllocationOutcome(existing)
    return AllocationOutcome(allocation)


def _claim_free_code(*, pool: DiscountPool, now: datetime) -> DiscountCode | None:
    for _attempt in range(5):
        candidate = (
            DiscountCode.objects.select_for_update(skip_locked=True)
            .filter(pool=pool, allocated_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if candidate is None:
            return None
        if DiscountCode.objects.filter(pk=candidate.pk, allocated_at__isnull=True).update(allocated_at=now) == 1:
            candidate.allocated_at = now
            return candidate
    return None


def discount_redemptions_record(*, shop: Shop, rows: Iterable[Mapping[str, Any]], dry_run: bool = False) -> BulkResult:
    """Record codes used in the shop (code, order_number, amount, currency, redeemed_at, customer_email).

    All or nothing. A row repeated (same code and order) changes nothing; a unique code already used
    in another order is an error (single use); a code Parcelfront never gave out is skipped and
    listed in ``skipped``. Revenue is attributed to the campaign and variant that gave the code.
    """
    result = BulkResult(dry_run=dry_run)
    now = timezone.now()
    parsed: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        if number > MAX_BULK_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_BULK_ROWS} rows per upload"))
            break
        before = len(result.errors)
        code, order_number = cell_text(row, "code"), cell_text(row, "order_number")
        if not code or len(code) > 64:
            result.errors.append(RowError(number, "code", "is required (at most 64 characters)"))
        if not order_number or len(order_number) > 64:
            result.errors.append(RowError(number, "order_number", "is required (at most 64 characters)"))
        amount = redeemed_at = None
        try:
            amount = parse_decimal(row.get("amount")) or Decimal("0.00")
        except ValueError as error:
            result.errors.append(RowError(number, "amount", str(error)))
        try:
            redeemed_at = parse_when(row.get("redeemed_at")) or now
        except ValueError as error:
            result.errors.append(RowError(number, "redeemed_at", str(error)))
        currency = cell_text(row, "currency").upper()
        if currency and not re.fullmatch(r"[A-Z]{3}", currency):
            result.errors.append(RowError(number, "currency", f"{currency!r} is not a three-letter code"))
        if len(result.errors) > before:
            continue
        key = (code.upper(), order_number)
        if key in seen:
            result.unchanged += 1
            continue
        seen[key] = number
        parsed.append(
            {
                "row": number,
                "code": code,
                "order_number": order_number,
                "amount": amount,
                "currency": currency,
                "redeemed_at": redeemed_at,
                "customer_email": cell_text(row, "customer_email").lower(),
            }
        )
    if result.errors:
        return result

    with transaction.atomic():
        pending = _redemptions_resolve(shop=shop, parsed=parsed, result=result)
        result.created = len(pending)
        if result.errors or dry_run:
            if result.errors:
                result.created = 0
            return result
        DiscountRedemption.objects.bulk_create(pending, batch_size=500)
    return result


def _redemptions_resolve(*, shop: Shop, parsed: list[dict[str, Any]], result: BulkResult) -> list[DiscountRedemption]:
    upper_codes = {item["code"].upper() for item in parsed}
    pools = list(DiscountPool.objects.filter(shop=shop))
    shared_pool_by_code = {pool.shared_code.upper(): pool for pool in pools if not pool.is_unique and pool.shared_code}
    allocations_by_code: dict[str, DiscountAllocation] = {}
    unique_codes = [code for code in upper_codes if code not in shared_pool_by_code]
    if unique_codes:
        allocations = (
            DiscountAllocation.objects.filter(pool__shop=shop, discount_code__isnull=False)
            .annotate(code_upper=Upper("code"))
            .filter(code_upper__in=unique_codes)
            .select_related("pool", "campaign")
        )
        for allocation in allocations:
            allocations_by_code[allocation.code.upper()] = allocation
    # Stored redemptions carry the code as given out, so compare case-insensitively here too.
    used: dict[str, str] = {}
    existing_keys: set[tuple[str, str]] = set()
    stored = (
        DiscountRedemption.objects.filter(shop=shop)
        .annotate(code_upper=Upper("code"))
        .filter(code_upper__in=upper_codes)
        .order_by("redeemed_at", "pk")
    )
    for code_upper, order_number in stored.values_list("code_upper", "order_number"):
        used.setdefault(code_upper, order_number)
        existing_keys.add((code_upper, order_number))
    campaign_by_pool: dict[int, Campaign] = {}
    for campaign in Campaign.objects.filter(shop=shop, discount_pool__isnull=False).order_by("-priority", "pk"):
        campaign_by_pool.setdefault(campaign.discount_pool_id, campaign)  # type: ignore[arg-type]

    pending: list[DiscountRedemption] = []
    claimed_here: dict[str, str] = {}
    for item in parsed:
        code_key = item["code"].upper()
        if (code_key, item["order_number"]) in existing_keys:
            result.unchanged += 1
            continue
        allocation = allocations_by_code.get(code_key)
        pool = shared_pool_by_code.get(code_key)
        campaign, variant = None, ""
        if allocation is not None:
            earlier = used.get(code_key) or claimed_here.get(code_key)
            if earlier is not None and earlier != item["order_number"]:
                result.errors.append(
                    RowError(item["row"], "code", f"{item['code']!r} is single-use and was used in #{earlier}")
                )
                continue
            claimed_here[code_key] = item["order_number"]
            pool, campaign, variant = allocation.pool, allocation.campaign, allocation.variant
        elif pool is not None:
            campaign = campaign_by_pool.get(pool.pk)
            allocation = _shared_allocation_for(pool=pool, customer_email=item["customer_email"])
            if allocation is not None:
                campaign, variant = allocation.campaign or campaign, allocation.variant
        else:
            result.skipped.append(RowError(item["row"], "code", f"{item['code']!r} was not given out by Parcelfront"))
            continue
        pending.append(
            DiscountRedemption(
                shop=shop,
                code=allocation.code if allocation is not None else pool.shared_code,  # type: ignore[union-attr]
                order_number=item["order_number"],
                amount=item["amount"],
                currency=item["currency"],
                redeemed_at=item["redeemed_at"],
                allocation=allocation,
                pool=pool,
                campaign=campaign,
                variant=variant,
            )
        )
    return pending


def _shared_allocation_for(*, pool: DiscountPool, customer_email: str) -> DiscountAllocation | None:
    # A shared code cannot say who used it; the customer's email (when the shop sends it) can.
    if not customer_email:
        return None
    return (
        DiscountAllocation.objects.filter(pool=pool, order__customer_email__iexact=customer_email)
        .select_related("campaign")
        .order_by("-allocated_at")
        .first()
    )
