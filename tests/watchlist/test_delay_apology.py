"""The delay apology comes from the watchlist's "delayed" incident (by task name), once per order and campaign;
campaigns has no late-parcel scan of its own any more."""

from datetime import date

import pytest
import time_machine

from campaigns.models import CampaignDispatch
from campaigns.tasks import apologize_for_delay
from carriers.types import Status
from config.celery import beat_schedule
from tests.campaigns.factories import CampaignFactory
from tests.watchlist.helpers import look, opened_types, parcel, scan, warsaw

pytestmark = pytest.mark.django_db
APOLOGY_TASK = "campaigns.apologize_for_delay"


def _apologies_asked(published) -> list[dict]:
    return [kwargs for name, kwargs in published if name == APOLOGY_TASK]


def _look_and_run(shipment, at, published, capture):
    """The watchlist looks at ``at``; every apology it published runs on the campaigns queue then."""
    published.clear()
    with capture(execute=True):
        outcome = look(shipment, at)
    with time_machine.travel(at, tick=False):
        queued = [apologize_for_delay(**kwargs) for kwargs in _apologies_asked(published)]
    return outcome, queued


def test_a_parcel_past_its_eta_gets_one_apology_from_its_delayed_incident(
    shop, published, django_capture_on_commit_callbacks
):
    # given a live delay-apology campaign and a parcel whose delivery window ended Tuesday 17 November 16:00
    apology = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    shipment = parcel(at=warsaw(2026, 11, 12, 9, 0), shop=shop)
    scan(
        shipment,
        Status.IN_TRANSIT,
        warsaw(2026, 11, 16, 10, 0),
        eta_from=warsaw(2026, 11, 17, 10, 0),
        eta_to=warsaw(2026, 11, 17, 16, 0),
    )

    # when the watchlist looks before the window ends, after it, and again an hour later
    before, queued_before = _look_and_run(
        shipment, warsaw(2026, 11, 17, 15, 0), published, django_capture_on_commit_callbacks
    )
    late, queued_late = _look_and_run(
        shipment, warsaw(2026, 11, 17, 16, 0), published, django_capture_on_commit_callbacks
    )
    again, queued_again = _look_and_run(
        shipment, warsaw(2026, 11, 17, 17, 0), published, django_capture_on_commit_callbacks
    )

    # then the apology is asked for once, when "delayed" opens, and queued once for the release tick
    assert (opened_types(before), queued_before) == ([], [])
    assert (opened_types(late), queued_late) == (["delayed"], [1])
    assert (opened_types(again), queued_again) == ([], [])
    dispatch = CampaignDispatch.objects.get()
    assert (dispatch.campaign_id, dispatch.order_id, dispatch.immediate) == (apology.pk, shipment.order_id, False)


def test_a_date_only_eta_waits_for_the_end_of_that_day(shop, published, django_capture_on_commit_callbacks):
    # given a carrier that said "on Tuesday the 17th" (midnight in Warsaw)
    CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    shipment = parcel(at=warsaw(2026, 11, 12, 9, 0), shop=shop)
    scan(
        shipment,
        Status.IN_TRANSIT,
        warsaw(2026, 11, 16, 10, 0),
        eta_from=warsaw(2026, 11, 17),
        eta_to=warsaw(2026, 11, 17),
    )

    # when the watchlist looks on Tuesday evening and as Wednesday begins
    _, during_the_day = _look_and_run(
        shipment, warsaw(2026, 11, 17, 22, 0), published, django_capture_on_commit_callbacks
    )
    _, after_the_day = _look_and_run(
        shipment, warsaw(2026, 11, 18, 0, 0), published, django_capture_on_commit_callbacks
    )

    # then the apology waits for the day to end
    assert (during_the_day, after_the_day) == ([], [1])


def test_a_parcel_late_by_eta_and_by_promise_gets_one_apology(shop, published, django_capture_on_commit_callbacks):
    # given a parcel late both against its ETA and the shop's promised day, and two late-trigger campaigns
    first = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    second = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    shipment = parcel(at=warsaw(2026, 11, 12, 9, 0), shop=shop, promised_delivery_date=date(2026, 11, 16))
    scan(
        shipment,
        Status.IN_TRANSIT,
        warsaw(2026, 11, 13, 10, 0),
        eta_from=warsaw(2026, 11, 16, 10, 0),
        eta_to=warsaw(2026, 11, 16, 16, 0),
    )

    # when the watchlist looks on Wednesday, and the published task is delivered twice
    _, queued = _look_and_run(shipment, warsaw(2026, 11, 18, 9, 0), published, django_capture_on_commit_callbacks)
    with time_machine.travel(warsaw(2026, 11, 18, 9, 1), tick=False):
        redelivered = apologize_for_delay(shipment_id=shipment.pk)

    # then one dispatch per campaign and order, and the redelivery queues nothing
    assert (queued, redelivered) == ([2], 0)
    assert sorted(CampaignDispatch.objects.values_list("campaign_id", flat=True)) == sorted([first.pk, second.pk])


def test_a_promise_without_an_eta_is_late_the_next_business_day_not_on_sunday(
    shop, published, django_capture_on_commit_callbacks
):
    # given a parcel promised for Saturday 14 November, no ETA from the carrier
    CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")
    shipment = parcel(at=warsaw(2026, 11, 12, 9, 0), shop=shop, promised_delivery_date=date(2026, 11, 14))
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 13, 10, 0))

    # when the watchlist looks on Sunday and as Monday begins
    sunday, on_sunday = _look_and_run(
        shipment, warsaw(2026, 11, 15, 12, 0), published, django_capture_on_commit_callbacks
    )
    monday, on_monday = _look_and_run(
        shipment, warsaw(2026, 11, 16, 0, 0), published, django_capture_on_commit_callbacks
    )

    # then "delayed" and its apology wait for Monday
    assert (opened_types(sunday), on_sunday) == ([], [])
    assert (opened_types(monday), on_monday) == (["delayed"], [1])


def test_campaigns_have_no_late_parcel_scan_of_their_own():
    tasks = {entry["task"] for entry in beat_schedule().values()}
    assert "campaigns.scan_late_parcels" not in tasks
    assert "watchlist.scan" in tasks
