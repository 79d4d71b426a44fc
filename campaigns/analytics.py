"""Campaign results per variant: sent, delivered, opened, clicked, CTR, codes, revenue, A/B significance.

Email delivery and opens are notifications' rows, and campaigns sits below notifications, so it never
reads them itself: notifications registers a source of per-variant counts at start-up
(:func:`message_counts_source_register`, called from its app config) and :func:`campaign_report`
asks that source. Without one (notifications not installed) or when it fails, "sent" falls back to
this app's own dispatch rows and delivered/opened are unknown (None), which the report says.
"""

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Count, Q, Sum

from campaigns.models import Campaign, CampaignDispatch, Click, ClickSource, DiscountAllocation, DiscountRedemption
from campaigns.selectors import variant_keys

logger = logging.getLogger(__name__)

SIGNIFICANCE_LEVEL = 0.05
MIN_SAMPLE_PER_VARIANT = 30


@dataclass
class VariantStats:
    """The numbers of one variant (or of the whole campaign)."""

    variant: str
    sent: int = 0
    delivered: int | None = None
    opened: int | None = None
    clicked: int = 0  # orders that clicked at least one link in the email
    email_clicks: int = 0
    page_clicks: int = 0
    codes_allocated: int = 0
    codes_redeemed: int = 0
    revenue: Decimal = Decimal("0.00")

    @property
    def ctr(self) -> float | None:
        """Click-through rate: clicking orders per sent email."""
        return self.clicked / self.sent if self.sent else None

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.sent if self.sent and self.opened is not None else None


@dataclass(frozen=True)
class Significance:
    """A two-proportion z-test of a variant's CTR against the first (control) variant."""

    variant: str
    control: str
    difference: float  # CTR difference, variant minus control, as a fraction
    z: float
    p_value: float
    enough_data: bool

    @property
    def significant(self) -> bool:
        return self.enough_data and self.p_value < SIGNIFICANCE_LEVEL

    @property
    def verdict(self) -> str:
        if not self.enough_data:
            return f"not enough data yet (at least {MIN_SAMPLE_PER_VARIANT} sent per variant)"
        if self.significant:
            better = "better" if self.difference > 0 else "worse"
            return f"{self.variant} is significantly {better} than {self.control} (p = {self.p_value:.3f})"
        return f"no significant difference between {self.variant} and {self.control} (p = {self.p_value:.3f})"


@dataclass
class CampaignReport:
    """The whole result of one campaign."""

    campaign: Campaign
    variants: list[VariantStats]
    total: VariantStats
    significance: list[Significance] = field(default_factory=list)
    message_data: bool = True  # False: delivery/open data unavailable, "sent" counts our dispatches


def two_proportion_z_test(successes_a: int, total_a: int, successes_b: int, total_b: int) -> tuple[float, float]:
    """(z, two-sided p-value) for the difference of two proportions; (0, 1) when undefined."""
    if total_a == 0 or total_b == 0:
        return 0.0, 1.0
    pooled = (successes_a + successes_b) / (total_a + total_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    if spread == 0:
        return 0.0, 1.0
    z = (successes_b / total_b - successes_a / total_a) / spread
    return z, math.erfc(abs(z) / math.sqrt(2))


MessageCountsSource = Callable[..., Mapping[str, Mapping[str, int]]]
# The one source a higher app registered (see the module docstring); a list so registering needs no global.
_message_counts_sources: list[MessageCountsSource] = []


def message_counts_source_register(*, source: MessageCountsSource) -> None:
    """Use ``source(campaign_id=...)`` for a campaign's per-variant sent/delivered/opened email counts."""
    _message_counts_sources[:] = [source]


def message_counts(*, campaign_id: int) -> dict[str, dict[str, int]] | None:
    """Per variant: sent, delivered, opened emails of the campaign, from the registered source.

    None when no source is registered or it failed (e.g. its table is missing).
    """
    if not _message_counts_sources:
        return None
    try:
        # A savepoint: on PostgreSQL a failed query (table missing) must not poison the caller's transaction.
        with transaction.atomic():
            counts = _message_counts_sources[0](campaign_id=campaign_id)
    except DatabaseError:
        logger.exception("message counts of campaign %s unavailable", campaign_id)
        return None
    return {variant: {key: row[key] for key in ("sent", "delivered", "opened")} for variant, row in counts.items()}


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    """All numbers of ``campaign`` per variant, a total, and the A/B significance; about six queries."""
    keys = variant_keys(campaign)
    stats: dict[str, VariantStats] = {key: VariantStats(variant=key) for key in keys}

    def of(variant: str) -> VariantStats:
        if variant not in stats:
            stats[variant] = VariantStats(variant=variant)
        return stats[variant]

    messages = message_counts(campaign_id=campaign.pk)
    if messages is not None:
        for variant, counts in messages.items():
            entry = of(variant)
            entry.sent, entry.delivered, entry.opened = counts["sent"], counts["delivered"], counts["opened"]
        for entry in stats.values():
            entry.delivered = entry.delivered or 0
            entry.opened = entry.opened or 0
    else:
        dispatched = (
            CampaignDispatch.objects.filter(campaign=campaign, dispatched_at__isnull=False)
            .values("variant")
            .annotate(n=Count("pk"))
        )
        for row in dispatched:
            of(row["variant"]).sent = row["n"]

    clicks = (
        Click.objects.filter(campaign=campaign)
        .values("variant")
        .annotate(
            email_clicks=Count("pk", filter=Q(source=ClickSource.EMAIL)),
            page_clicks=Count("pk", filter=Q(source=ClickSource.PAGE)),
            clicked=Count("order", filter=Q(source=ClickSource.EMAIL), distinct=True),
        )
    )
    for row in clicks:
        entry = of(row["variant"])
        entry.email_clicks, entry.page_clicks, entry.clicked = row["email_clicks"], row["page_clicks"], row["clicked"]

    for row in DiscountAllocation.objects.filter(campaign=campaign).values("variant").annotate(n=Count("pk")):
        of(row["variant"]).codes_allocated = row["n"]
    redemptions = (
        DiscountRedemption.objects.filter(campaign=campaign)
        .values("variant")
        .annotate(n=Count("pk"), revenue=Sum("amount"))
    )
    for row in redemptions:
        entry = of(row["variant"] or (keys[0] if len(keys) == 1 else ""))
        entry.codes_redeemed += row["n"]
        entry.revenue += row["revenue"] or Decimal("0.00")

    ordered = [stats[key] for key in keys] + [value for key, value in stats.items() if key not in keys]
    total = _total(ordered, message_data=messages is not None)
    return CampaignReport(
        campaign=campaign,
        variants=ordered,
        total=total,
        significance=_significance([stats[key] for key in keys]),
        message_data=messages is not None,
    )


def _total(variants: list[VariantStats], *, message_data: bool) -> VariantStats:
    total = VariantStats(variant="total", delivered=0 if message_data else None, opened=0 if message_data else None)
    for entry in variants:
        total.sent += entry.sent
        total.clicked += entry.clicked
        total.email_clicks += entry.email_clicks
        total.page_clicks += entry.page_clicks
        total.codes_allocated += entry.codes_allocated
        total.codes_redeemed += entry.codes_redeemed
        total.revenue += entry.revenue
        if message_data:
            total.delivered = (total.delivered or 0) + (entry.delivered or 0)
            total.opened = (total.opened or 0) + (entry.opened or 0)
    return total


def _significance(variants: list[VariantStats]) -> list[Significance]:
    if len(variants) < 2:
        return []
    control, results = variants[0], []
    for challenger in variants[1:]:
        z, p_value = two_proportion_z_test(control.clicked, control.sent, challenger.clicked, challenger.sent)
        results.append(
            Significance(
                variant=challenger.variant,
                control=control.variant,
                difference=(challenger.ctr or 0.0) - (control.ctr or 0.0),
                z=z,
                p_value=p_value,
                enough_data=min(control.sent, challenger.sent) >= MIN_SAMPLE_PER_VARIANT,
            )
        )
    return results
