"""Whole parcel histories replayed through the apply service while the beat scan ticks every hour for two weeks:
the right incidents open on the right business day of the destination's calendar and clear when the parcel
moves on; none opens on a Sunday or a public holiday (Polish ones for Polish parcels, Czech ones for Czech)."""

from datetime import datetime, timedelta

import pytest
import time_machine

from carriers.types import Reason, Status
from shops.calendar import public_holidays
from tests.watchlist.helpers import WARSAW, look, parcel, scan, warsaw
from watchlist.models import Incident, IncidentRule
from watchlist.services import watch_scan

pytestmark = pytest.mark.django_db

# November 2026: Sundays the 8th and 15th, Poland's Independence Day on Wednesday the 11th,
# Czechia's Struggle for Freedom and Democracy Day on Tuesday the 17th.
START, END = warsaw(2026, 11, 5, 8, 0), warsaw(2026, 11, 20, 8, 0)


def _histories(shop) -> tuple[dict, list[tuple]]:
    parcels = {
        "stalled": parcel(at=warsaw(2026, 11, 9, 8, 0), shop=shop),
        "locker": parcel(at=warsaw(2026, 11, 9, 8, 0), shop=shop, carrier="inpost", service="inpost_locker_standard"),
        "customs": parcel(at=warsaw(2026, 11, 9, 8, 0), shop=shop, country="CZ"),
        "failed": parcel(at=warsaw(2026, 11, 9, 8, 0), shop=shop),
        "forgotten": parcel(at=warsaw(2026, 11, 5, 8, 0), shop=shop),
        "eta_on_holiday": parcel(at=warsaw(2026, 11, 9, 8, 0), shop=shop),
    }
    timeline = [
        ("forgotten", warsaw(2026, 11, 5, 10, 0), Status.INFO_RECEIVED, "", {}),
        ("stalled", warsaw(2026, 11, 9, 9, 0), Status.INFO_RECEIVED, "", {}),
        ("locker", warsaw(2026, 11, 9, 9, 0), Status.INFO_RECEIVED, "", {}),
        ("customs", warsaw(2026, 11, 9, 9, 0), Status.INFO_RECEIVED, "", {}),
        ("failed", warsaw(2026, 11, 9, 9, 0), Status.INFO_RECEIVED, "", {}),
        ("eta_on_holiday", warsaw(2026, 11, 9, 9, 0), Status.INFO_RECEIVED, "", {}),
        (
            "eta_on_holiday",
            warsaw(2026, 11, 9, 18, 0),
            Status.IN_TRANSIT,
            Reason.PICKED_UP,
            {"eta_from": warsaw(2026, 11, 11), "eta_to": warsaw(2026, 11, 11)},
        ),
        ("stalled", warsaw(2026, 11, 10, 15, 0), Status.IN_TRANSIT, Reason.PICKED_UP, {}),
        ("failed", warsaw(2026, 11, 10, 8, 0), Status.OUT_FOR_DELIVERY, "", {}),
        ("failed", warsaw(2026, 11, 10, 18, 0), Status.FAILED_ATTEMPT, "", {}),
        ("customs", warsaw(2026, 11, 10, 12, 0), Status.IN_TRANSIT, Reason.PICKED_UP, {}),
        ("locker", warsaw(2026, 11, 10, 12, 0), Status.IN_TRANSIT, Reason.PICKED_UP, {}),
        ("eta_on_holiday", warsaw(2026, 11, 12, 14, 0), Status.DELIVERED, "", {}),
        ("locker", warsaw(2026, 11, 13, 10, 0), Status.AVAILABLE_FOR_PICKUP, "", {}),
        ("failed", warsaw(2026, 11, 13, 11, 0), Status.DELIVERED, "", {}),
        ("locker", warsaw(2026, 11, 16, 9, 0), Status.DELIVERED, "", {}),
        ("customs", warsaw(2026, 11, 16, 12, 0), Status.IN_TRANSIT, Reason.CUSTOMS, {}),
        ("stalled", warsaw(2026, 11, 17, 10, 0), Status.DELIVERED, "", {}),
        ("forgotten", warsaw(2026, 11, 17, 11, 0), Status.IN_TRANSIT, Reason.PICKED_UP, {}),
        ("customs", warsaw(2026, 11, 19, 8, 0), Status.OUT_FOR_DELIVERY, "", {}),
    ]
    return parcels, sorted(timeline, key=lambda row: row[1])


def _replay(shop) -> dict:
    """Apply each event at its moment (the watchlist looks at the parcel then, as the published task does),
    and tick the beat scan every hour in between."""
    parcels, timeline = _histories(shop)
    tick = START
    while tick <= END:
        while timeline and timeline[0][1] <= tick:
            name, at, status, reason, extra = timeline.pop(0)
            scan(parcels[name], status, at, reason=reason, **extra)
            look(parcels[name], at)
        with time_machine.travel(tick, tick=False):
            watch_scan()
        tick += timedelta(hours=1)
    return parcels


def _local(moment: datetime) -> datetime:
    return moment.astimezone(WARSAW)


def test_two_weeks_of_histories_open_and_clear_on_business_days_only(shop):
    # given the shop's dispatch promise is not under test here (it would open for every parcel)
    IncidentRule.objects.create(shop=shop, incident_type="late_dispatch", enabled=False)

    # when two weeks of histories are replayed with the beat ticking hourly
    parcels = _replay(shop)

    # then each parcel opened exactly the incidents its history calls for, on these days
    opened = {
        (name, incident.incident_type): _local(incident.opened_at).date().isoformat()
        for name, shipment in parcels.items()
        for incident in Incident.objects.filter(shipment=shipment)
    }
    assert opened == {
        # label on Thursday the 5th: Fri, Mon, Tue, Thu (the 11th is a holiday) = 4 business days
        ("forgotten", "forgotten"): "2026-11-12",
        # last scan Tuesday the 10th 15:00: Thu, Fri, Mon = 3 business days
        ("stalled", "stalled"): "2026-11-16",
        # a date-only ETA on the holiday: late once that day has ended, on Thursday
        ("eta_on_holiday", "delayed"): "2026-11-12",
        # the failed attempt on Tuesday evening, not followed up by the next working day (Thursday)
        ("failed", "failed_attempt"): "2026-11-12",
        # ready Friday 10:00 with 48 hours to collect: the reminder a business day before, never on Sunday
        ("locker", "pickup_deadline"): opened[("locker", "pickup_deadline")],
        # held in Czech customs on Monday the 16th: Tuesday is a Czech holiday, so Wednesday
        ("customs", "exception"): "2026-11-18",
    }
    assert opened[("locker", "pickup_deadline")] in {"2026-11-13", "2026-11-14"}
    # and every one of them has cleared itself once its parcel moved on
    assert set(Incident.objects.values_list("state", flat=True)) == {"resolved"}
    assert not Incident.objects.filter(resolved_by__isnull=False).exists()


def test_no_incident_opens_on_a_sunday_or_a_public_holiday_of_its_destination(shop):
    # given the same histories, every rule on
    parcels = _replay(shop)

    # then whatever opened, opened on a day that is neither Sunday nor a holiday where the parcel goes
    incidents = list(Incident.objects.filter(shipment__in=parcels.values()).select_related("shipment__order"))
    assert incidents
    for incident in incidents:
        day = _local(incident.opened_at).date()
        country = incident.shipment.order.shipping_country
        assert day.weekday() != 6, (incident.incident_type, day)
        assert day not in public_holidays(country, day.year), (incident.incident_type, country, day)
