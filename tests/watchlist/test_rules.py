"""Parcel histories replayed through shipment_apply_result with the clock moved: incidents open on the right
business day (Polish holidays, Sundays, Saturday rules), resolve when the parcel moves, never duplicate."""

from datetime import timedelta

import pytest

from carriers.types import Reason, Status
from shipments.models import LaneStats
from tests.watchlist.helpers import look, opened_types, parcel, resolved_types, scan, warsaw
from watchlist.models import Incident, IncidentRule, IncidentState, ShipmentWatch, ThresholdSource

pytestmark = pytest.mark.django_db

# November 2026: the 8th and 15th are Sundays, the 11th (Wednesday) is Independence Day in Poland.


def test_forgotten_label_opens_on_the_fourth_business_day_skipping_the_weekend_and_independence_day(shop):
    # given a DPD label created on Thursday 5 November at 10:00, no pickup afterwards
    shipment = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    IncidentRule.objects.create(shop=shop, incident_type="late_dispatch", enabled=False)
    scan(shipment, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))

    # when the watchlist looks on Sunday, on the holiday, and on Thursday 12 November
    sunday = look(shipment, warsaw(2026, 11, 8, 12, 0))
    holiday = look(shipment, warsaw(2026, 11, 11, 23, 0))
    thursday = look(shipment, warsaw(2026, 11, 12, 10, 0))

    # then it opens only on Thursday (Fri, Mon, Tue, Thu = 4 business days), once, with the default threshold
    assert opened_types(sunday) == []
    assert opened_types(holiday) == []
    assert opened_types(thursday) == ["forgotten"]
    incident = Incident.objects.get(shipment=shipment)
    assert (incident.threshold_days, incident.threshold_source, incident.state) == (4, ThresholdSource.DEFAULT, "open")
    assert incident.opened_at == warsaw(2026, 11, 12, 10, 0)


def test_forgotten_resolves_itself_when_the_courier_picks_the_parcel_up(shop):
    # given an open "forgotten" incident
    shipment = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    IncidentRule.objects.create(shop=shop, incident_type="late_dispatch", enabled=False)
    scan(shipment, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))
    look(shipment, warsaw(2026, 11, 12, 10, 0))

    # when the courier scans it on Friday
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 13, 8, 0), reason=Reason.PICKED_UP)
    outcome = look(shipment, warsaw(2026, 11, 13, 8, 1))

    # then the incident is resolved automatically and nothing new opens
    assert resolved_types(outcome) == ["forgotten"]
    assert opened_types(outcome) == []
    incident = Incident.objects.get(shipment=shipment)
    assert (incident.state, incident.resolved_by, incident.resolution_note) == (
        IncidentState.RESOLVED,
        None,
        "The parcel moved on.",
    )


def test_rescans_never_open_a_duplicate(shop):
    # given an open "forgotten" incident
    shipment = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    IncidentRule.objects.create(shop=shop, incident_type="late_dispatch", enabled=False)
    scan(shipment, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))
    look(shipment, warsaw(2026, 11, 12, 10, 0))

    # when the carrier repeats the same event and the watchlist looks again twice
    scan(shipment, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))
    again = look(shipment, warsaw(2026, 11, 12, 11, 0))
    later = look(shipment, warsaw(2026, 11, 13, 11, 0))

    # then there is still exactly one incident, open
    assert opened_types(again) == opened_types(later) == []
    assert list(Incident.objects.filter(shipment=shipment).values_list("incident_type", "state")) == [
        ("forgotten", "open")
    ]


def test_stalled_in_transit_never_opens_on_a_sunday_or_a_holiday(shop):
    # given a DPD parcel scanned in transit on Friday 6 November at 15:00, then silence
    shipment = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 6, 15, 0))

    # when the watchlist looks every day at noon until the next Friday
    opened_on = {}
    for day in range(7, 14):
        outcome = look(shipment, warsaw(2026, 11, day, 16, 0))
        for incident_type in opened_types(outcome):
            opened_on[incident_type] = day

    # then "stalled" (3 domestic business days: Mon, Tue, Thu) opens on Thursday the 12th
    assert opened_on == {"stalled": 12}
    assert Incident.objects.get(shipment=shipment).threshold_note == "default, domestic"


def test_stalled_international_waits_five_business_days(shop):
    # given a DPD parcel to Germany scanned on Monday 2 November
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop, country="DE")
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the watchlist looks on Friday the 6th (4 bd) and Monday the 9th (5 bd)
    friday = look(shipment, warsaw(2026, 11, 6, 16, 0))
    monday = look(shipment, warsaw(2026, 11, 9, 16, 0))

    # then it opens on Monday
    assert opened_types(friday) == []
    assert opened_types(monday) == ["stalled"]


def test_stalled_uses_the_lanes_learned_p95_once_it_has_30_deliveries(shop):
    # given a lane whose 30 deliveries never had a gap over 1 business day
    histogram = [0] * 31
    histogram[1] = 30
    LaneStats.objects.create(
        shop=shop,
        carrier="dpd",
        service="",
        destination_country="PL",
        delivered_count=30,
        scan_gap_histogram=histogram,
        transit_histogram=histogram,
    )
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the watchlist looks on Wednesday the 4th (2 bd without a scan)
    tuesday = look(shipment, warsaw(2026, 11, 3, 16, 0))
    wednesday = look(shipment, warsaw(2026, 11, 4, 16, 0))

    # then the learned threshold (p95 1 bd, so 2 bd) applies, not the default 3, and says why
    assert opened_types(tuesday) == []
    assert opened_types(wednesday) == ["delayed", "stalled"]
    stalled = Incident.objects.get(shipment=shipment, incident_type="stalled")
    assert (stalled.threshold_days, stalled.threshold_source) == (2, ThresholdSource.LEARNED)
    assert stalled.threshold_note == "lane p95 scan gap 1 bd over 30 deliveries"


def test_a_lane_with_29_deliveries_keeps_the_default(shop):
    # given a lane with too little history
    histogram = [0] * 31
    histogram[1] = 29
    LaneStats.objects.create(
        shop=shop, carrier="dpd", destination_country="PL", delivered_count=29, scan_gap_histogram=histogram
    )
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the watchlist looks two business days later
    outcome = look(shipment, warsaw(2026, 11, 4, 16, 0))

    # then nothing opens yet (default 3 bd)
    assert opened_types(outcome) == []
    assert not Incident.objects.exists()


def test_a_shop_rule_for_a_carrier_and_country_overrides_the_default(shop):
    # given the shop's rule: DPD parcels to Poland are stalled after 1 business day
    IncidentRule.objects.create(shop=shop, incident_type="stalled", threshold_days=5)
    IncidentRule.objects.create(
        shop=shop, incident_type="stalled", carrier="dpd", destination_country="PL", threshold_days=1
    )
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the watchlist looks the next day
    outcome = look(shipment, warsaw(2026, 11, 3, 15, 0))

    # then the most specific rule applied
    assert opened_types(outcome) == ["stalled"]
    incident = Incident.objects.get()
    assert (incident.threshold_days, incident.threshold_source, incident.threshold_note) == (
        1,
        ThresholdSource.OVERRIDE,
        "shop rule (dpd PL)",
    )


def test_failed_attempt_not_followed_up_opens_after_the_next_business_day_and_clears_on_delivery(shop):
    # given a failed attempt on Tuesday 10 November at 11:00 (the 11th is a holiday)
    shipment = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 9, 8, 0))
    scan(shipment, Status.FAILED_ATTEMPT, warsaw(2026, 11, 10, 11, 0), reason=Reason.RECIPIENT_ABSENT)

    # when the watchlist looks on the holiday and on Thursday at 11:00
    holiday = look(shipment, warsaw(2026, 11, 11, 18, 0))
    thursday = look(shipment, warsaw(2026, 11, 12, 11, 0))
    scan(shipment, Status.DELIVERED, warsaw(2026, 11, 12, 14, 0))
    delivered = look(shipment, warsaw(2026, 11, 12, 14, 1))

    # then it opens on Thursday, and delivery resolves it; the parcel is no longer due for a look
    assert opened_types(holiday) == []
    assert opened_types(thursday) == ["failed_attempt"]
    assert resolved_types(delivered) == ["failed_attempt"]
    assert ShipmentWatch.objects.get(shipment=shipment).due_at is None


def test_a_new_attempt_resolves_the_failed_attempt(shop):
    # given an open failed-attempt incident
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.FAILED_ATTEMPT, warsaw(2026, 11, 3, 11, 0))
    look(shipment, warsaw(2026, 11, 4, 11, 0))

    # when the courier tries again
    scan(shipment, Status.FAILED_ATTEMPT, warsaw(2026, 11, 5, 9, 0))
    outcome = look(shipment, warsaw(2026, 11, 5, 9, 1))

    # then the first is resolved and no new one opens before another business day passes
    assert resolved_types(outcome) == ["failed_attempt"]
    assert opened_types(outcome) == []


def test_delayed_past_an_eta_on_saturday_opens_on_monday_not_sunday(shop):
    # given a DPD parcel whose ETA was Saturday 7 November (a date-only estimate)
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(
        shipment,
        Status.IN_TRANSIT,
        warsaw(2026, 11, 6, 20, 0),
        eta_from=warsaw(2026, 11, 7),
        eta_to=warsaw(2026, 11, 7),
    )

    # when the watchlist looks on Sunday and at Monday 00:00
    sunday = look(shipment, warsaw(2026, 11, 8, 12, 0))
    monday = look(shipment, warsaw(2026, 11, 9, 0, 0))

    # then it opens Monday
    assert opened_types(sunday) == []
    assert opened_types(monday) == ["delayed"]


def test_carrier_reason_delayed_opens_at_once_on_a_business_day(shop):
    # given a parcel the carrier reports delayed on Monday
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 10, 0))
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 3, 10, 0), reason=Reason.DELAYED)

    # when the watchlist looks then
    outcome = look(shipment, warsaw(2026, 11, 3, 10, 5))

    # then "delayed" is open
    assert opened_types(outcome) == ["delayed"]


def test_locker_pickup_deadline_reminds_a_business_day_before_and_clears_on_pickup(shop):
    # given an InPost locker parcel ready on Thursday 12 November at 10:00 (48 hours to collect)
    shipment = parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop, carrier="inpost", service="inpost_locker_standard")
    scan(shipment, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))

    # when the watchlist looks just before and at Friday 10:00, then the customer collects it
    before = look(shipment, warsaw(2026, 11, 13, 9, 59))
    friday = look(shipment, warsaw(2026, 11, 13, 10, 0))
    scan(shipment, Status.DELIVERED, warsaw(2026, 11, 13, 17, 0))
    collected = look(shipment, warsaw(2026, 11, 13, 17, 1))

    # then the reminder opens Friday with the collect-by moment, and clears on pickup
    assert opened_types(before) == []
    assert opened_types(friday) == ["pickup_deadline"]
    assert friday.opened[0].deadline_at == warsaw(2026, 11, 14, 10, 0)
    assert resolved_types(collected) == ["pickup_deadline"]


def test_exception_unresolved_by_the_next_working_day(shop):
    # given an address problem on Friday 6 November at 12:00
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.EXCEPTION, warsaw(2026, 11, 6, 12, 0), reason=Reason.ADDRESS_PROBLEM)

    # when the watchlist looks on Sunday and on Monday at 12:00
    sunday = look(shipment, warsaw(2026, 11, 8, 12, 0))
    monday = look(shipment, warsaw(2026, 11, 9, 12, 0))

    # then it opens on Monday
    assert opened_types(sunday) == []
    assert opened_types(monday) == ["exception"]


def test_lost_after_ten_business_days_without_a_scan(shop):
    # given a parcel last scanned on Monday 2 November
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the watchlist looks on the 9th business day (Monday 16th; the 11th is a holiday) and the 10th
    monday = look(shipment, warsaw(2026, 11, 16, 16, 0))
    tuesday = look(shipment, warsaw(2026, 11, 17, 16, 0))

    # then "lost" opens on Tuesday
    assert "lost" not in opened_types(monday)
    assert opened_types(tuesday) == ["lost"]


def test_invalid_tracking_number_and_late_dispatch(shop):
    # given a parcel registered on Monday 2 November the carrier never knows
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)

    # when the watchlist looks on Wednesday and on Thursday at 9:00
    wednesday = look(shipment, warsaw(2026, 11, 4, 9, 0))
    thursday = look(shipment, warsaw(2026, 11, 5, 9, 0))

    # then late dispatch opens after 2 business days, invalid tracking after 3
    assert opened_types(wednesday) == ["late_dispatch"]
    assert opened_types(thursday) == ["invalid_tracking"]


def test_a_person_resolves_an_episode_and_it_does_not_reopen(shop, owner):
    from watchlist.services import incident_resolve

    # given an open stalled incident a person resolves with a note
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    look(shipment, warsaw(2026, 11, 5, 16, 0))
    incident = Incident.objects.get(incident_type="stalled")
    assert incident_resolve(incident=incident, user=owner, note="Called DPD, it is in Poznań") is True

    # when the watchlist looks again, the parcel still silent
    outcome = look(shipment, warsaw(2026, 11, 6, 16, 0))

    # then the episode stays resolved
    assert opened_types(outcome) == []
    incident.refresh_from_db()
    assert (incident.state, incident.resolved_by, incident.resolution_note) == (
        "resolved",
        owner,
        "Called DPD, it is in Poznań",
    )
    assert incident_resolve(incident=incident, user=owner, note="again") is False


def test_snoozed_incident_comes_back_when_the_snooze_ends(shop):
    from watchlist.services import incident_snooze

    # given a stalled incident snoozed until Monday 9 November 8:00
    shipment = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    look(shipment, warsaw(2026, 11, 5, 16, 0))
    incident = Incident.objects.get(incident_type="stalled")
    until = warsaw(2026, 11, 9, 8, 0)
    assert incident_snooze(incident=incident, until=until) is True

    # when the watchlist looks before and after
    look(shipment, until - timedelta(minutes=1))
    incident.refresh_from_db()
    before = incident.state
    look(shipment, until)
    incident.refresh_from_db()

    # then it is open again once the snooze ended
    assert before == "snoozed"
    assert incident.state == "open"
    assert Incident.objects.filter(shipment=shipment, incident_type="stalled").count() == 1


def test_a_customs_hold_is_an_exception_the_next_working_day_however_often_it_is_rescanned(shop):
    # given a parcel to Czechia held in customs from Friday 13 November 12:00, rescanned in customs on Monday
    shipment = parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop, country="CZ")
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 12, 9, 0))
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 13, 12, 0), reason=Reason.CUSTOMS)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 16, 8, 0), reason=Reason.CUSTOMS)

    # when the watchlist looks on Sunday and on Monday at noon
    sunday = look(shipment, warsaw(2026, 11, 15, 12, 0))
    monday = look(shipment, warsaw(2026, 11, 16, 12, 0))
    scan(shipment, Status.OUT_FOR_DELIVERY, warsaw(2026, 11, 17, 8, 0))
    released = look(shipment, warsaw(2026, 11, 17, 8, 1))

    # then the hold is an exception from Monday noon (one business day after it began), and clears when released
    assert opened_types(sunday) == []
    assert opened_types(monday) == ["exception"]
    assert Incident.objects.get(incident_type="exception").anchor_at == warsaw(2026, 11, 13, 12, 0)
    assert resolved_types(released) == ["exception"]
