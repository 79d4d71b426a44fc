"""Writes of the campaigns app: catalog, discount codes, redemptions, campaign sends and set-ups.

Bulk writes (catalog rows, uploaded codes, redemptions) are all or nothing: every row is checked
first, and one bad row means nothing is stored and the result lists each bad row with its field.
"""

import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignDispatch,
    CampaignKind,
    CampaignStatus,
    DiscountAllocation,
    DiscountCode,
    DiscountPool,
    DiscountRedemption,
    LateScanState,
    PageDiscount,
    PoolKind,
    Product,
    RecommendationRule,
    TriggerType,
    list_to_text,
    text_to_list,
)
from campaigns.selectors import (
    OrderFacts,
    audience_mismatch,
    campaign_is_live,
    campaigns_live,
    variant_for_order,
)
from campaigns.validation import ContentRow, campaign_errors, content_errors, rule_errors
from carriers.types import FINAL_STATUSES, Reason, Status
from shipments.models import Direction, Order, Shipment, StatusChange
from shops.models import Shop

logger = logging.getLogger(__name__)

MAX_BULK_ROWS = 50_000
MAX_GENERATED_CODES = 100_000
CODE_PATTERN_SLOT = "?"
CODE_MIN_RANDOM_SLOTS = 6
# No 0/O, 1/I/L: codes are typed by hand from an email.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
TRUE_WORDS = {"1", "true", "yes", "y", "t", "tak", "ja", "ano", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "nie", "nein", "ne", "off"}
SEND_CAMPAIGN_TASK = "notifications.send_campaign_message"
DELAY_APOLOGY_SLUG = "delay-apology"
LATE_SCAN_FIRST_LOOKBACK = timedelta(days=1)
# A trigger whose moment passed longer ago than this (history imported late, a backlog) sends nothing:
# a "thanks for your delivery" weeks after the fact does more harm than good.
MAX_TRIGGER_LATENESS = timedelta(days=2)

_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class RowError:
    """A problem with one input row: ``row`` counts data rows from 1 (a CSV's line is row + 1)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}" if self.field else f"row {self.row}: {self.message}"


@dataclass
class BulkResult:
    """What a bulk write did (or, on a dry run or with errors, would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def _parse_bool(value: Any, *, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not yes/no (use true or false)")


def _parse_decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number (e.g. 49.90)") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} must be zero or more")
    if number >= Decimal("1e10"):
        raise ValueError(f"{value!r} is too large")
    return number.quantize(Decimal("0.01"))


def _parse_when(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(f"{value!r} is not a date (use 2026-11-20 or 2026-11-20T14:30:00+01:00)")
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _check_url(value: str, *, required: bool) -> str:
    if not value:
        if required:
            raise ValueError("is required")
        return ""
    if len(value) > 500:
        raise ValueError("is longer than 500 characters")
    try:
        _url_validator(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not an http(s) URL") from None
    return value


def _tags_of(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return list_to_text([str(tag) for tag in value])
    return list_to_text(text_to_list(str(value or "").replace(";", ",").replace("|", ",")))


# --- Catalog ----------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "url", "image_url", "price", "currency", "category", "tags", "active")


def _product_values(row: Mapping[str, Any], errors: list[RowError], number: int) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    before = len(errors)

    def problem(field_name: str, message: str) -> None:
        errors.append(RowError(number, field_name, message))

    sku = _text(row, "sku")
    if not sku:
        problem("sku", "is required")
    elif len(sku) > 64:
        problem("sku", "is longer than 64 characters")
    values["sku"] = sku
    name = _text(row, "name")
    if not name:
        problem("name", "is required")
    elif len(name) > 255:
        problem("name", "is longer than 255 characters")
    values["name"] = name
    for url_field, required in (("url", True), ("image_url", False)):
        try:
            values[url_field] = _check_url(_text(row, url_field), required=required)
        except ValueError as error:
            problem(url_field, str(error))
    try:
        values["price"] = _parse_decimal(row.get("price"))
    except ValueError as error:
        problem("price", str(error))
    currency = _text(row, "currency").upper()
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        problem("currency", f"{currency!r} is not a three-letter code like PLN")
    values["currency"] = currency
    category = _text(row, "category").lower()
    if len(category) > 120:
        problem("category", "is longer than 120 characters")
    values["category"] = category
    values["tags"] = _tags_of(row.get("tags"))
    if len(values["tags"]) > 500:
        problem("tags", "are longer than 500 characters together")
    try:
        values["active"] = _parse_bool(row.get("active"), default=True)
    except ValueError as error:
        problem("active", str(error))
    return values if len(errors) == before else None


def product_bulk_upsert(*, shop: Shop, rows: Iterable[Mapping[str, Any]], dry_run: bool = False) -> BulkResult:
    """Create or update ``shop``'s products by SKU from ``rows``, all or nothing.

    Each row: sku, name, url (required); image_url, price, currency, category, tags (comma-separated
    or a list), active (default true). Products not in ``rows`` are left alone.
    """
    result = BulkResult(dry_run=dry_run)
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if number > MAX_BULK_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_BULK_ROWS} rows per upload"))
            break
        values = _product_values(row, result.errors, number)
        if values is None:
            continue
        if values["sku"] in seen:
            result.errors.append(RowError(number, "sku", f"{values['sku']!r} is already in row {seen[values['sku']]}"))
            continue
        seen[values["sku"]] = number
        parsed.append(values)
    if result.errors:
        return result

    with transaction.atomic():
        existing = {
            product.sku: product
            for product in Product.objects.select_for_update().filter(shop=shop, sku__in=[v["sku"] for v in parsed])
        }
        to_create, to_update = [], []
        for values in parsed:
            product = existing.get(values["sku"])
            if product is None:
                to_create.append(Product(shop=shop, **values))
            elif any(getattr(product, name) != values[name] for name in PRODUCT_FIELDS):
                for name in PRODUCT_FIELDS:
                    setattr(product, name, values[name])
                to_update.append(product)
            else:
                result.unchanged += 1
        result.created, result.updated = len(to_create), len(to_update)
        if dry_run:
            return result
        now = timezone.now()
        for product in to_update:
            product.updated_at = now
        Product.objects.bulk_create(to_create, batch_size=500)
        Product.objects.bulk_update(to_update, [*PRODUCT_FIELDS, "updated_at"], batch_size=500)
    return result


# --- Discount codes ---------------------------------------------------------------------------


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
        code = _text(row, "code")
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
        code, order_number = _text(row, "code"), _text(row, "order_number")
        if not code or len(code) > 64:
            result.errors.append(RowError(number, "code", "is required (at most 64 characters)"))
        if not order_number or len(order_number) > 64:
            result.errors.append(RowError(number, "order_number", "is required (at most 64 characters)"))
        amount = redeemed_at = None
        try:
            amount = _parse_decimal(row.get("amount")) or Decimal("0.00")
        except ValueError as error:
            result.errors.append(RowError(number, "amount", str(error)))
        try:
            redeemed_at = _parse_when(row.get("redeemed_at")) or now
        except ValueError as error:
            result.errors.append(RowError(number, "redeemed_at", str(error)))
        currency = _text(row, "currency").upper()
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
                "customer_email": _text(row, "customer_email").lower(),
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


# --- Campaign sends: immediate, delayed (due rows) and late parcels --------------------------


def trigger_delay(campaign: Campaign, status_change: StatusChange) -> timedelta | None:
    """How long after ``status_change`` the campaign sends (zero = now), or None if it does not fire."""
    if campaign.trigger_type == TriggerType.LATE_OR_EXCEPTION:
        late = status_change.to_status == Status.EXCEPTION or status_change.reason == Reason.DELAYED
        return timedelta(0) if late else None
    if status_change.to_status != campaign.trigger_status:
        return None
    if campaign.trigger_type == TriggerType.DELAY_AFTER_STATUS:
        return timedelta(hours=campaign.delay_hours)
    return timedelta(0)


def frequency_capped(*, campaign: Campaign, order: Order, now: datetime) -> bool:
    """Whether the customer already got the campaign's cap of campaign emails from this shop recently."""
    if campaign.frequency_cap_count == 0 or not order.customer_email:
        return False
    since = now - timedelta(days=campaign.frequency_cap_days)
    sent = (
        CampaignDispatch.objects.filter(
            shop_id=order.shop_id, customer_email=order.customer_email.lower(), dispatched_at__gte=since
        )
        .exclude(campaign=campaign, order=order)
        # Apologies are service messages: they neither use up nor obey the marketing cap.
        .exclude(campaign__kind=CampaignKind.DELAY_APOLOGY)
        .count()
    )
    return sent >= campaign.frequency_cap_count


def _dispatch_claim(
    *,
    campaign: Campaign,
    order: Order,
    status_change_id: int,
    variant: str,
    due_at: datetime,
    immediate: bool,
) -> tuple[CampaignDispatch, bool]:
    try:
        with transaction.atomic():
            dispatch = CampaignDispatch.objects.create(
                shop_id=order.shop_id,
                campaign=campaign,
                order=order,
                status_change_id=status_change_id,
                variant=variant,
                customer_email=order.customer_email.lower(),
                due_at=due_at,
                immediate=immediate,
                dispatched_at=due_at if immediate else None,
            )
    except IntegrityError:
        return CampaignDispatch.objects.get(campaign=campaign, order=order), False
    return dispatch, True


def campaign_dispatches_plan(*, status_change: StatusChange, now: datetime | None = None) -> list[CampaignDispatch]:
    """The campaign emails ``status_change`` sends now; delayed ones are stored as due rows.

    Rules: outbound parcels of orders with an email only; each campaign at most once per order; no
    trigger whose moment is more than two days past (imported history);
    among campaigns that would send now, only the highest priority one that passes its audience and
    the customer's frequency cap (one marketing email per status change, never a burst). Calling it
    again for the same status change returns the same answer (retries are safe).
    """
    now = now or timezone.now()
    change = StatusChange.objects.select_related("shipment__order__shop").get(pk=status_change.pk)
    shipment, order = change.shipment, change.shipment.order
    if shipment.direction != Direction.OUTBOUND or not order.customer_email:
        return []
    prior = {dispatch.campaign_id: dispatch for dispatch in CampaignDispatch.objects.filter(order=order)}
    again = [d for d in prior.values() if d.status_change_id == change.pk and d.immediate]
    if again:
        return again
    facts = OrderFacts(order, shipment=shipment)
    chosen: list[CampaignDispatch] = []
    for campaign in campaigns_live(shop_id=order.shop_id, now=now).filter(send_email=True):
        delay = trigger_delay(campaign, change)
        if delay is None or campaign.pk in prior or change.occurred_at + delay < now - MAX_TRIGGER_LATENESS:
            continue
        if (delay == timedelta(0) and chosen) or audience_mismatch(campaign, facts) is not None:
            continue
        variant = variant_for_order(campaign=campaign, order_id=order.pk)
        if delay == timedelta(0):
            if frequency_capped(campaign=campaign, order=order, now=now):
                continue
            dispatch, created = _dispatch_claim(
                campaign=campaign, order=order, status_change_id=change.pk, variant=variant, due_at=now, immediate=True
            )
            if created:
                chosen.append(dispatch)
        else:
            _dispatch_claim(
                campaign=campaign,
                order=order,
                status_change_id=change.pk,
                variant=variant,
                due_at=max(change.occurred_at + delay, now),
                immediate=False,
            )
    return chosen


def campaign_dispatches_release(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Hand due campaign emails to notifications; returns how many were published.

    Claims due rows with ``FOR UPDATE SKIP LOCKED`` (overlapping ticks take different rows), checks
    once more that the campaign is live and the customer still in its audience and under the cap,
    and publishes ``notifications.send_campaign_message`` by name after commit. A row whose publish
    fails goes back to pending for the next tick; notifications is idempotent per (status change,
    campaign), so a row published twice still sends one email.
    """
    now = now or timezone.now()
    published: list[CampaignDispatch] = []
    with transaction.atomic():
        due = list(
            CampaignDispatch.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(dispatched_at__isnull=True, skipped_reason="", due_at__lte=now)
            .select_related("campaign", "order")
            .order_by("due_at", "pk")[:batch_size]
        )
        for dispatch in due:
            reason = _release_blocker(dispatch=dispatch, now=now)
            if reason:
                dispatch.skipped_reason = reason[:200]
                dispatch.save(update_fields=["skipped_reason"])
                continue
            dispatch.dispatched_at = now
            dispatch.save(update_fields=["dispatched_at"])
            published.append(dispatch)
        transaction.on_commit(lambda: _publish(published))
    return len(published)


def _release_blocker(*, dispatch: CampaignDispatch, now: datetime) -> str:
    campaign, order = dispatch.campaign, dispatch.order
    if not campaign_is_live(campaign, now=now):
        return "campaign no longer active"
    if not campaign.send_email:
        return "campaign no longer sends emails"
    mismatch = audience_mismatch(campaign, OrderFacts(order))
    if mismatch:
        return f"outside the audience: {mismatch}"
    if frequency_capped(campaign=campaign, order=order, now=now):
        return "frequency cap reached"
    return ""


def _publish(dispatches: list[CampaignDispatch]) -> None:
    from config.celery import app

    for dispatch in dispatches:
        try:
            app.send_task(
                SEND_CAMPAIGN_TASK,
                kwargs={
                    "status_change_id": dispatch.status_change_id,
                    "campaign_id": dispatch.campaign_id,
                    "variant": dispatch.variant,
                },
            )
        except Exception:
            logger.exception("could not publish campaign dispatch %s; the next tick retries", dispatch.pk)
            CampaignDispatch.objects.filter(pk=dispatch.pk).update(dispatched_at=None)


def late_parcels_scan(*, now: datetime | None = None) -> int:
    """Queue the delay-apology emails for parcels that became late since the last scan.

    Late = not delivered (nor otherwise final) when its ETA end or the order's promised date has
    passed. Each late-trigger campaign keeps a watermark, so a tick looks only at parcels whose
    deadline fell between the previous tick and now. Returns how many emails were queued.
    """
    now = now or timezone.now()
    queued = 0
    campaigns = Campaign.objects.filter(status=CampaignStatus.ACTIVE, trigger_type=TriggerType.LATE_OR_EXCEPTION)
    for campaign in campaigns:
        if not (campaign_is_live(campaign, now=now) and campaign.send_email):
            continue
        state, _ = LateScanState.objects.get_or_create(
            campaign=campaign, defaults={"scanned_until": now - LATE_SCAN_FIRST_LOOKBACK}
        )
        since = state.scanned_until
        if since >= now:
            continue
        promised_late = Q(
            order__promised_delivery_date__gte=since.date(),
            order__promised_delivery_date__lte=now.date() - timedelta(days=1),
        )
        late = (
            Shipment.objects.filter(shop_id=campaign.shop_id, direction=Direction.OUTBOUND)
            .exclude(status__in=[status.value for status in FINAL_STATUSES])
            .filter(Q(eta_to__gt=since, eta_to__lte=now) | promised_late)
            .exclude(order__campaign_dispatches__campaign=campaign)
            .select_related("order")
        )
        for shipment in late:
            queued += _late_dispatch(campaign=campaign, shipment=shipment, now=now)
        state.scanned_until = now
        state.save(update_fields=["scanned_until"])
    return queued


def _late_dispatch(*, campaign: Campaign, shipment: Shipment, now: datetime) -> int:
    order = shipment.order
    if not order.customer_email or audience_mismatch(campaign, OrderFacts(order, shipment=shipment)):
        return 0
    # notifications keys campaign emails by status change: the change that put the parcel in its
    # current status anchors the apology (one per order anyway).
    anchor = StatusChange.objects.filter(shipment=shipment).order_by("-created_at", "-pk").first()
    if anchor is None:
        return 0
    _, created = _dispatch_claim(
        campaign=campaign,
        order=order,
        status_change_id=anchor.pk,
        variant=variant_for_order(campaign=campaign, order_id=order.pk),
        due_at=now,
        immediate=False,
    )
    return int(created)


# --- Rules and campaigns created in code (API, demo, set-ups) -----------------------------------

CONTENT_FIELDS = (
    "variant",
    "language",
    "subject",
    "heading",
    "body_markdown",
    "banner_image_url",
    "banner_link_url",
    "banner_text",
    "cta_text",
    "cta_url",
)


def _merge_errors(*sources: Mapping[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for source in sources:
        for name, problems in source.items():
            merged.setdefault(name, []).extend(problems)
    return merged


def recommendation_rule_create(*, shop: Shop, name: str, **fields: Any) -> RecommendationRule:
    """Create a recommendation rule for ``shop``; ValidationError with field messages when it makes no sense."""
    rule = RecommendationRule(shop=shop, name=name, **fields)
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(exclude=["shop"])
    except ValidationError as error:
        errors = dict(error.message_dict)
    errors = _merge_errors(errors, rule_errors(rule))
    if errors:
        raise ValidationError(errors)
    rule.save()
    return rule


@transaction.atomic
def campaign_create(
    *, shop: Shop, name: str, slug: str, contents: Iterable[Mapping[str, str]], **fields: Any
) -> Campaign:
    """Create a campaign with its content rows (variant, language, subject, heading, body_markdown ...).

    Checked like the admin checks it; a ValidationError names every problem and stores nothing.
    """
    campaign = Campaign(shop=shop, name=name, slug=slug, **fields)
    errors: dict[str, list[str]] = {}
    try:
        campaign.full_clean(exclude=["shop"])
    except ValidationError as error:
        errors = dict(error.message_dict)
    errors = _merge_errors(errors, campaign_errors(campaign))
    rows = [{name: str(row.get(name, "") or "") for name in CONTENT_FIELDS} for row in contents]
    for row in rows:
        row["variant"] = row["variant"] or "A"
    content_rows = [ContentRow(**{name: row[name] for name in ContentRow.__dataclass_fields__}) for row in rows]
    problems = content_errors(campaign, content_rows, shop_language=shop.locale)
    if problems:
        errors = _merge_errors(errors, {"contents": problems})
    if errors:
        raise ValidationError(errors)
    campaign.save()
    for row in rows:
        content = CampaignContent(campaign=campaign, **row)
        content.full_clean(exclude=["campaign"])
        content.save()
    return campaign


# --- Ready-made campaigns ---------------------------------------------------------------------

APOLOGY_CONTENT = {
    "pl": (
        "Przepraszamy za opóźnienie",
        "Twoja paczka się spóźnia — przepraszamy",
        "Cześć {{ first_name }},\n\nprzesyłka z zamówienia **{{ order_number }}** nie dotarła na czas. "
        "To nie jest doświadczenie, jakiego chcemy dla Ciebie.\n\nW ramach przeprosin mamy dla Ciebie kod "
        "rabatowy na kolejne zakupy — jest tylko Twój i działa jeden raz.",
        "Wróć do sklepu",
    ),
    "en": (
        "Sorry your parcel is late",
        "Your parcel is running late — we're sorry",
        "Hi {{ first_name }},\n\nthe parcel from order **{{ order_number }}** did not arrive on time. "
        "That is not the experience we want for you.\n\nAs an apology, here is a discount code for your next "
        "order — it is yours alone and works once.",
        "Back to the shop",
    ),
    "de": (
        "Entschuldigung für die Verspätung",
        "Dein Paket verspätet sich — das tut uns leid",
        "Hallo {{ first_name }},\n\ndas Paket aus Bestellung **{{ order_number }}** ist nicht rechtzeitig "
        "angekommen.\n\nAls Entschuldigung schenken wir dir einen Rabattcode für deine nächste Bestellung — "
        "nur für dich und einmal einlösbar.",
        "Zurück zum Shop",
    ),
    "cs": (
        "Omlouváme se za zpoždění",
        "Vaše zásilka má zpoždění — omlouváme se",
        "Dobrý den {{ first_name }},\n\nzásilka z objednávky **{{ order_number }}** nedorazila včas.\n\n"
        "Jako omluvu pro vás máme slevový kód na další nákup — je jen váš a platí jednou.",
        "Zpět do obchodu",
    ),
    "sk": (
        "Ospravedlňujeme sa za meškanie",
        "Vaša zásielka mešká — ospravedlňujeme sa",
        "Dobrý deň {{ first_name }},\n\nzásielka z objednávky **{{ order_number }}** nedorazila načas.\n\n"
        "Ako ospravedlnenie pre vás máme zľavový kód na ďalší nákup — je len váš a platí raz.",
        "Späť do obchodu",
    ),
}


@transaction.atomic
def delay_apology_setup(
    *,
    shop: Shop,
    code_count: int = 500,
    code_pattern: str = "SORRY-????-????",
    discount_description: str = "10% off your next order",
    valid_days: int = 60,
    activate: bool = True,
) -> Campaign:
    """Set up the delay-apology campaign for ``shop`` in one call (again: returns the existing one).

    A late parcel (ETA or promised date passed without delivery) or an exception sends an apology
    email in the customer's language with a unique single-use voucher from a generated pool; the
    tracking page shows the same code. It is a service message about the order, so it does not
    require marketing consent and is not held back by the marketing frequency cap.
    """
    existing = Campaign.objects.filter(shop=shop, slug=DELAY_APOLOGY_SLUG).first()
    if existing is not None:
        return existing
    pool = DiscountPool.objects.create(
        shop=shop,
        name="Delay apology vouchers",
        kind=PoolKind.GENERATED,
        description=discount_description,
        valid_days=valid_days,
        low_stock_threshold=max(10, code_count // 10),
    )
    discount_codes_generate(pool=pool, pattern=code_pattern, count=code_count)
    campaign = Campaign.objects.create(
        shop=shop,
        name="Delay apology",
        slug=DELAY_APOLOGY_SLUG,
        kind=CampaignKind.DELAY_APOLOGY,
        status=CampaignStatus.ACTIVE if activate else CampaignStatus.DRAFT,
        priority=100,
        trigger_type=TriggerType.LATE_OR_EXCEPTION,
        require_marketing_consent=False,
        send_email=True,
        show_on_page=True,
        show_banner=True,
        show_products=False,
        discount_pool=pool,
        page_discount=PageDiscount.EXISTING,
        frequency_cap_count=0,
    )
    shop_url = shop.website_url
    CampaignContent.objects.bulk_create(
        CampaignContent(
            campaign=campaign,
            variant="A",
            language=language,
            subject=subject,
            heading=heading,
            body_markdown=body,
            banner_text=heading,
            cta_text=cta if shop_url else "",
            cta_url=shop_url,
        )
        for language, (subject, heading, body, cta) in APOLOGY_CONTENT.items()
    )
    return campaign
