"""Service levels: a target's attainment per week from the roll-ups, the dashboard's tiles, and the breach
alert (email to the owners through notifications, webhook ``sla.breached``), once per target and week.

A week is judged on the parcels shipped in it (the roll-ups' cohort) that were delivered; a week with
fewer deliveries than the target's minimum is not judged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse

from analytics.models import DailyRollup, SlaBreach, SlaTarget, empty_histogram
from analytics.tiles import NO_FIGURE, Tile
from config.celery import publish_on_commit
from notifications.staff_mail import staff_email_send
from shops.models import Membership, Role, Shop

logger = logging.getLogger(__name__)

WEBHOOK_TASK = "api.emit_webhook_event"
TREND_WEEKS = 8


@dataclass(frozen=True)
class Attainment:
    """A target's result in one week: deliveries judged and the share within the target's days."""

    week: date
    deliveries: int
    within: int

    @property
    def percent(self) -> Decimal | None:
        if not self.deliveries:
            return None
        return (Decimal(self.within * 100) / self.deliveries).quantize(Decimal("0.01"))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def sla_attainment_between(*, target: SlaTarget, start: date, end: date) -> Attainment:
    """``target``'s result over the parcels shipped ``start``..``end`` (inclusive), labelled by ``start``."""
    rows = DailyRollup.objects.filter(shop_id=target.shop_id, carrier=target.carrier, day__gte=start, day__lte=end)
    if target.destination_country:
        rows = rows.filter(destination_country=target.destination_country)
    summed = empty_histogram()
    for histogram in rows.values_list(target.metric, flat=True):
        for bucket, count in enumerate(histogram):
            summed[bucket] += count
    return Attainment(week=start, deliveries=sum(summed), within=sum(summed[: target.within_days + 1]))


def sla_attainment(*, target: SlaTarget, weeks: list[date]) -> list[Attainment]:
    """``target``'s attainment in each week starting on the given Mondays."""
    return [sla_attainment_between(target=target, start=week, end=week + timedelta(days=6)) for week in weeks]


def sla_trend(*, target: SlaTarget, today: date, weeks: int = TREND_WEEKS) -> list[Attainment]:
    """The last ``weeks`` complete weeks before ``today``'s, oldest first."""
    last = monday_of(today) - timedelta(days=7)
    return sla_attainment(target=target, weeks=[last - timedelta(days=7 * n) for n in reversed(range(weeks))])


def sla_tiles(*, shop: Shop, today: date) -> list[Tile]:
    """One dashboard tile per active target: last complete week's attainment against the target, and the trend."""
    tiles = []
    for target in SlaTarget.objects.filter(shop=shop, is_active=True):
        trend = sla_trend(target=target, today=today, weeks=4)
        last = trend[-1]
        judged = last.deliveries >= target.min_deliveries and last.percent is not None
        history = " → ".join(NO_FIGURE if point.percent is None else f"{point.percent:.0f}%" for point in trend)
        tiles.append(
            Tile(
                f"SLA {target.carrier}{' to ' + target.destination_country if target.destination_country else ''}",
                f"{last.percent:.1f}%" if last.percent is not None else NO_FIGURE,
                f"target {target.target_percent}% within {target.within_days} business days; last 4 weeks {history}",
                f"{reverse('admin:analytics_delivery')}?shop={shop.pk}&carrier={target.carrier}",
                tone="" if not judged else ("good" if last.percent >= target.target_percent else "bad"),
            )
        )
    return tiles


def owner_emails(shop: Shop) -> list[str]:
    """The email addresses of ``shop``'s owners."""
    emails = Membership.objects.filter(shop=shop, role=Role.OWNER, user__is_active=True).values_list(
        "user__email", flat=True
    )
    return sorted({email for email in emails if email})


def sla_check(*, target: SlaTarget, week: date) -> SlaBreach | None:
    """Judge ``target`` in the week starting ``week``; a miss is stored and alerted once. None when met,
    not judged (too few deliveries) or already alerted."""
    (result,) = sla_attainment(target=target, weeks=[week])
    if result.deliveries < target.min_deliveries or result.percent is None:
        return None
    if result.percent >= target.target_percent:
        return None
    try:
        with transaction.atomic():
            breach = SlaBreach.objects.create(
                shop_id=target.shop_id,
                target=target,
                period_start=week,
                attained_percent=result.percent,
                deliveries=result.deliveries,
            )
            publish_on_commit(
                WEBHOOK_TASK,
                shop_id=target.shop_id,
                event_type="sla.breached",
                data=breach_payload(breach),
                dedupe_key=f"sla:{target.pk}:{week.isoformat()}",
            )
            # Inside the transaction: a failed send leaves no breach row, so the next check alerts again.
            shop = target.shop
            staff_email_send(
                shop=shop,
                recipients=owner_emails(shop),
                subject=f"{shop.name}: {target.carrier} missed its service level in the week of {week:%Y-%m-%d}",
                text=(
                    f"{target} — attained {result.percent}% of {result.deliveries} deliveries "
                    f"in the week of {week:%Y-%m-%d}.\n"
                ),
            )
    except IntegrityError:
        return None  # alerted before
    return breach


def breach_payload(breach: SlaBreach) -> dict:
    """The ``sla.breached`` webhook's data."""
    target = breach.target
    return {
        "carrier": target.carrier,
        "destination_country": target.destination_country or None,
        "metric": str(target.metric),
        "within_business_days": target.within_days,
        "target_percent": f"{Decimal(target.target_percent):.2f}",
        "attained_percent": f"{Decimal(breach.attained_percent):.2f}",
        "deliveries": breach.deliveries,
        "week_start": breach.period_start.isoformat(),
    }


def sla_check_all(*, today: date) -> int:
    """Judge every active target on the last complete week; returns the breaches alerted now."""
    week = monday_of(today) - timedelta(days=7)
    alerted = 0
    for target in SlaTarget.objects.filter(is_active=True, shop__is_active=True).select_related("shop"):
        if sla_check(target=target, week=week) is not None:
            alerted += 1
    return alerted
