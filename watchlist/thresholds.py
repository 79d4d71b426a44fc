"""Which threshold applies to an incident type for one parcel: a shop rule, the lane's own history, or the default.

All thresholds are business days (``shops.calendar``). Stalled and delayed learn from the lane
(``shipments.lanes``) once it has ``LEARN_MIN_DELIVERIES`` deliveries: a gap or a transit longer than
the lane's 95th percentile is not normal for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from shipments.lanes import Lane, histogram_percentile, lane_stats_for
from shipments.models import LaneStats
from watchlist.models import IncidentRule, IncidentType, ThresholdSource

LEARN_MIN_DELIVERIES = 30
LEARN_PERCENTILE = 0.95

DEFAULT_DAYS = {
    IncidentType.INVALID_TRACKING: 3,
    IncidentType.LATE_DISPATCH: 2,
    IncidentType.FORGOTTEN: 4,
    IncidentType.DELAYED: 0,
    IncidentType.FAILED_ATTEMPT: 1,
    IncidentType.PICKUP_DEADLINE: 1,
    IncidentType.EXCEPTION: 1,
    IncidentType.LOST: 10,
}
STALLED_DOMESTIC_DAYS = 3
STALLED_INTERNATIONAL_DAYS = 5
# The customer hears from the shop by default where they can act: collect the parcel, rearrange delivery.
NOTIFY_BY_DEFAULT = frozenset({IncidentType.PICKUP_DEADLINE, IncidentType.FAILED_ATTEMPT})


@dataclass(frozen=True)
class Threshold:
    """Business days after the rule's anchor, and where that number came from (shown in the admin)."""

    days: int
    source: str
    note: str


class ShopThresholds:
    """The thresholds of one shop's lane, with its rules and lane statistics read once."""

    def __init__(self, *, lane: Lane) -> None:
        self.lane = lane
        self._rules = list(IncidentRule.objects.filter(shop_id=lane.shop_id))
        self._stats: LaneStats | bool | None = False

    def rule(self, incident_type: str) -> IncidentRule | None:
        """The most specific of the shop's rules for ``incident_type`` on this lane."""
        matching = [
            rule
            for rule in self._rules
            if rule.incident_type == incident_type
            and rule.carrier in ("", self.lane.carrier)
            and rule.destination_country.upper() in ("", self.lane.destination_country)
        ]
        return max(matching, key=lambda rule: (bool(rule.carrier), bool(rule.destination_country)), default=None)

    def enabled(self, incident_type: str) -> bool:
        rule = self.rule(incident_type)
        return rule is None or rule.enabled

    def notify_customer(self, incident_type: str) -> bool:
        rule = self.rule(incident_type)
        if rule is not None and rule.notify_customer is not None:
            return rule.notify_customer
        return incident_type in NOTIFY_BY_DEFAULT

    def learned_stats(self) -> LaneStats | None:
        """The lane's statistics when it has enough deliveries to learn from."""
        if self._stats is False:
            stats = lane_stats_for(self.lane)
            self._stats = stats if stats is not None and stats.delivered_count >= LEARN_MIN_DELIVERIES else None
        return self._stats  # type: ignore[return-value]

    def threshold(self, incident_type: str) -> Threshold:
        """The threshold of ``incident_type`` here (stalled: a gap; delayed without an ETA: a transit)."""
        rule = self.rule(incident_type)
        if rule is not None and rule.threshold_days is not None:
            where = " ".join(part for part in (rule.carrier, rule.destination_country) if part) or "all parcels"
            return Threshold(rule.threshold_days, ThresholdSource.OVERRIDE, f"shop rule ({where})")
        if incident_type == IncidentType.STALLED:
            return self._learned("scan_gap_histogram", "scan gap") or self._stalled_default()
        return Threshold(DEFAULT_DAYS[incident_type], ThresholdSource.DEFAULT, "default")

    def transit_threshold(self) -> Threshold | None:
        """Delayed without an ETA or a promise: longer in transit than the lane's p95 (None: not learned)."""
        rule = self.rule(IncidentType.DELAYED)
        learned = self._learned("transit_histogram", "transit")
        if learned is not None and rule is not None and rule.threshold_days is not None:
            return Threshold(
                learned.days + rule.threshold_days, ThresholdSource.OVERRIDE, f"{learned.note} + shop rule"
            )
        return learned

    def _learned(self, histogram_field: str, what: str) -> Threshold | None:
        stats = self.learned_stats()
        if stats is None:
            return None
        p95 = histogram_percentile(getattr(stats, histogram_field), LEARN_PERCENTILE)
        if p95 is None:
            return None
        # Longer than the lane's 95th percentile: one business day past it.
        note = f"lane p95 {what} {p95} bd over {stats.delivered_count} deliveries"
        return Threshold(p95 + 1, ThresholdSource.LEARNED, note)

    def _stalled_default(self) -> Threshold:
        domestic = self.lane.destination_country in ("", settings.WATCHLIST_HOME_COUNTRY)
        if domestic:
            return Threshold(STALLED_DOMESTIC_DAYS, ThresholdSource.DEFAULT, "default, domestic")
        return Threshold(STALLED_INTERNATIONAL_DAYS, ThresholdSource.DEFAULT, "default, international")
