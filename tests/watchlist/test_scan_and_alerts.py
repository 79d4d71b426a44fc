"""The beat scan (enrol new parcels by id, evaluate only due ones), webhooks, the customer's email, the digest."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carriers.types import Status
from notifications.content import template_email_render
from notifications.models import Message
from tests.watchlist.helpers import look, parcel, scan, warsaw
from watchlist.models import Incident, IncidentRule, ShipmentWatch
from watchlist.services import watch_scan

pytestmark = pytest.mark.django_db


def test_the_scan_enrols_new_parcels_and_then_looks_only_at_due_ones(shop):
    # given a silent parcel in transit since Monday and a parcel the scan has not seen
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    quiet = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)

    # when the beat ticks on Monday evening and again on Thursday
    with time_machine.travel(warsaw(2026, 11, 2, 18, 0), tick=False):
        first = watch_scan()
    due_after_first = dict(ShipmentWatch.objects.values_list("shipment_id", "due_at"))
    with time_machine.travel(warsaw(2026, 11, 3, 8, 0), tick=False), CaptureQueriesContext(connection) as idle:
        nothing_due = watch_scan()
    with time_machine.travel(warsaw(2026, 11, 5, 15, 0), tick=False):
        thursday = watch_scan()

    # then both parcels were enrolled, each got its next due moment, an idle tick evaluated nobody,
    # and on Thursday the stalled parcel opened (3 business days) alongside the unknown number
    assert first.opened == [] and first.resolved == []
    assert due_after_first == {moving.pk: warsaw(2026, 11, 5, 15, 0), quiet.pk: warsaw(2026, 11, 4, 9, 0)}
    assert nothing_due.opened == []
    # (evaluating a parcel reads it with its shop; an idle tick reads no parcel)
    assert not [query for query in idle.captured_queries if '"shops_shop"' in query["sql"]]
    assert sorted((i.shipment_id, i.incident_type) for i in thursday.opened) == sorted(
        [(moving.pk, "stalled"), (quiet.pk, "late_dispatch"), (quiet.pk, "invalid_tracking")]
    )


def test_watch_scan_command_prints_what_opened(shop):
    # given a parcel stalled since Monday
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the command runs on Thursday afternoon
    out = StringIO()
    with time_machine.travel(warsaw(2026, 11, 5, 16, 0), tick=False):
        call_command("watch_scan", "--once", stdout=out)

    # then it names the incident
    incident = Incident.objects.get()
    assert out.getvalue().splitlines() == [f"opened   #{incident.pk} stalled {moving}", "1 opened, 0 resolved"]


def test_opening_and_resolving_publish_webhooks_by_name_once(shop, published, django_capture_on_commit_callbacks):
    # given a stalled parcel
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))
    published.clear()

    # when it opens, is looked at again, and the parcel moves on
    with django_capture_on_commit_callbacks(execute=True):
        look(moving, warsaw(2026, 11, 5, 16, 0))
        look(moving, warsaw(2026, 11, 5, 17, 0))
    with django_capture_on_commit_callbacks(execute=True):
        scan(moving, Status.OUT_FOR_DELIVERY, warsaw(2026, 11, 6, 8, 0))
        look(moving, warsaw(2026, 11, 6, 8, 1))

    # then one incident.opened and one incident.resolved went to the api by name; no customer email for stalled
    incident = Incident.objects.get()
    webhooks = [(kw["event_type"], kw["dedupe_key"]) for name, kw in published if name == "api.emit_webhook_event"]
    assert webhooks == [
        ("incident.opened", f"incident:{incident.pk}:opened"),
        ("incident.resolved", f"incident:{incident.pk}:resolved"),
    ]
    assert not Message.objects.exists()


def test_a_locker_pickup_deadline_emails_the_customer_once_in_their_language(shop):
    # given a German customer's InPost locker parcel ready on Thursday
    shipment = parcel(
        at=warsaw(2026, 11, 9, 9, 0), shop=shop, carrier="inpost", service="inpost_locker_standard", locale="de"
    )
    scan(shipment, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))

    # when the watchlist opens the reminder and looks again
    look(shipment, warsaw(2026, 11, 13, 10, 0))
    look(shipment, warsaw(2026, 11, 13, 11, 0))

    # then exactly one message was asked for, in German, saying until when
    incident = Incident.objects.get()
    message = Message.objects.get()
    assert (message.trigger_kind, message.trigger_id, message.template, message.language) == (
        "incident",
        incident.pk,
        "watchlist_incident",
        "de",
    )
    assert message.context["headline"] == "Ihr Paket wartet auf Sie"
    assert message.context["body"] == "Ihr Paket wartet bis Sa., 14. November auf Sie. Bitte holen Sie es bis dahin ab."


def test_the_shop_can_turn_the_customer_email_off(shop):
    IncidentRule.objects.create(shop=shop, incident_type="pickup_deadline", notify_customer=False)
    shipment = parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop, carrier="inpost", service="inpost_locker_standard")
    scan(shipment, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))
    look(shipment, warsaw(2026, 11, 13, 10, 0))
    assert Incident.objects.count() == 1
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("pl", "Kurier nie mógł doręczyć Twojej przesyłki: zamówienie PF-1"),
        ("en", "The courier could not deliver your parcel: order PF-1"),
        ("de", "Der Zusteller konnte Ihr Paket nicht zustellen: Bestellung PF-1"),
        ("cs", "Kurýr nemohl vaši zásilku doručit: objednávka PF-1"),
        ("sk", "Kuriér nemohol vašu zásielku doručiť: objednávka PF-1"),
    ],
)
def test_the_incident_email_renders_in_five_languages(shop, language, subject):
    from watchlist.explanations import incident_explanation

    words = incident_explanation(incident_type="failed_attempt", language=language)
    context = {
        "headline": words.headline,
        "body": words.body,
        "customer_name": "Anna",
        "order_number": "PF-1",
        "tracking_number": "123",
        "tracking_url": "https://example.com/t/x",
        "pickup_point_address": "",
    }
    rendered = template_email_render(
        shop=shop, template="watchlist_incident", language=language, context=context, unsubscribe_url=""
    )
    assert rendered.subject == subject
    assert words.body in rendered.text
    assert "https://example.com/t/x" in rendered.html


def test_a_parcel_created_moments_ago_is_enrolled_on_a_later_tick_never_skipped(shop):
    from watchlist.models import WatchCursor
    from watchlist.services import watch_enroll_new

    # given a parcel registered a minute before the tick (a lower id may still be committing)
    fresh = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)

    # when the scan enrols at 9:01 and again at 9:05
    early = watch_enroll_new(now=warsaw(2026, 11, 2, 9, 1))
    early_watched = ShipmentWatch.objects.filter(shipment=fresh).exists()
    later = watch_enroll_new(now=warsaw(2026, 11, 2, 9, 5))

    # then it is enrolled only once it is old enough, and the cursor did not pass it before
    assert (early, early_watched, later) == (0, False, 1)
    assert ShipmentWatch.objects.get(shipment=fresh).due_at == warsaw(2026, 11, 2, 9, 5)
    assert WatchCursor.objects.get().last_shipment_id == fresh.pk


def test_the_task_apply_publishes_evaluates_the_parcel_by_id(shop):
    from watchlist.tasks import evaluate_shipment

    # given a parcel stalled since Monday
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 2, 15, 0))

    # when the published task runs on Thursday afternoon, and for a parcel that no longer exists
    with time_machine.travel(warsaw(2026, 11, 5, 16, 0), tick=False):
        counts = evaluate_shipment(shipment_id=moving.pk)
        missing = evaluate_shipment(shipment_id=moving.pk + 1000)

    # then the stalled incident opened, and the missing parcel did nothing
    assert counts == {"opened": 1, "resolved": 0}
    assert missing == {"opened": 0, "resolved": 0}
    assert list(Incident.objects.values_list("incident_type", flat=True)) == ["stalled"]


def test_a_delayed_incident_asks_campaigns_for_the_apology_by_name(shop, published, django_capture_on_commit_callbacks):
    from carriers.types import Reason

    # given a parcel the carrier reports delayed
    moving = parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(moving, Status.IN_TRANSIT, warsaw(2026, 11, 3, 10, 0), reason=Reason.DELAYED)
    published.clear()

    # when the watchlist opens the incident
    with django_capture_on_commit_callbacks(execute=True):
        look(moving, warsaw(2026, 11, 3, 10, 5))

    # then campaigns is asked, once, for that parcel
    assert [kw for name, kw in published if name == "campaigns.apologize_for_delay"] == [{"shipment_id": moving.pk}]


def test_the_scan_resolves_incidents_of_a_parcel_delivered_while_its_publish_was_lost(shop):
    from shipments.models import Shipment

    # given an open pickup-deadline incident (no rule of the parcel comes due later)
    shipment = parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop, carrier="inpost", service="inpost_locker_standard")
    scan(shipment, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))
    look(shipment, warsaw(2026, 11, 13, 10, 0))
    assert ShipmentWatch.objects.get(shipment=shipment).due_at is None

    # when the parcel is delivered without the watchlist being told, and the beat ticks
    Shipment.objects.filter(pk=shipment.pk).update(status="delivered")
    with time_machine.travel(warsaw(2026, 11, 13, 18, 0), tick=False):
        outcome = watch_scan()

    # then the scan resolved it
    assert [incident.incident_type for incident in outcome.resolved] == ["pickup_deadline"]
    assert Incident.objects.get().state == "resolved"
