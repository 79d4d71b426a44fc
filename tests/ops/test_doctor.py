"""manage.py doctor: each problem named with a fix, exit code 1 on errors; providers faked at their seams."""

import io
from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ops.doctor import Level, providers, workers
from ops.heartbeats import BEAT, RecordingScheduler, heartbeat_record, queue_heartbeat_name
from ops.models import Heartbeat
from ops.tasks import heartbeat
from tests.factories import OrderFactory, ShipmentFactory
from tests.notifications.factories import NotificationSettingsFactory
from tests.shipments.factories import CarrierAccountFactory
from tests.shipments.test_batch import FakeInPost, run

pytestmark = pytest.mark.django_db


def doctor(*sections):
    out = io.StringIO()
    args = [arg for section in sections for arg in ("--only", section)]
    try:
        call_command("doctor", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def test_a_rejected_carrier_credential_is_an_error_naming_carrier_shop_and_fix(shop, settings):
    # given a shop whose own InPost key the carrier rejected during a real poll
    settings.CARRIER_ENV = {"CARRIER_INPOST_BASE_URL": "http://inpost.test", "CARRIER_INPOST_RATE": "none"}
    account = CarrierAccountFactory(shop=shop, carrier="inpost", api_key="revoked-key")
    parcel = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620000000000000000000021")
    run(FakeInPost({parcel.tracking_number: (401, {"error": "unauthorized"}, {})}), [parcel], account_id=account.pk)

    # when the doctor looks at the providers
    code, out = doctor("providers")

    # then it fails, naming the account, and says what to do
    assert code == 1
    line = next(line for line in out.splitlines() if f"inpost for shop {shop.slug}" in line)
    assert line.split()[0] == "error"
    assert "credentials rejected (the shop's own credentials)" in line
    assert "revoked-key" not in out
    assert "fix: Correct the shop's own credentials (Admin → Shipments → Carrier accounts)" in out


def test_healthy_disabled_and_erroring_carrier_accounts(shop, other_shop):
    now = timezone.now()
    CarrierAccountFactory(shop=shop, carrier="dpd", last_success_at=now)
    CarrierAccountFactory(shop=shop, carrier="gls", enabled=False)
    CarrierAccountFactory(
        shop=other_shop, carrier="dhl", last_success_at=now - timedelta(hours=1), last_error_at=now,
        last_error_kind="transient", last_error="HTTP 503",
    )  # fmt: skip
    levels = {finding.name: finding.level for finding in providers.check_carrier_accounts()}
    assert levels == {
        f"dpd for shop {shop.slug}": Level.OK,
        f"gls for shop {shop.slug}": Level.WARNING,
        f"dhl for shop {other_shop.slug}": Level.WARNING,
    }


def test_a_missing_migration_is_named(db):
    # given the ops migration recorded as not applied
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'ops' AND name = '0001_heartbeats'")

    code, out = doctor("platform")

    assert code == 1
    assert "error   migrations: 1 not applied: ops.0001_heartbeats" in out
    assert "fix: Run `manage.py migrate`, then restart web and workers" in out


def test_beat_and_queues_are_ok_only_while_their_heartbeats_are_fresh(db, monkeypatch):
    monkeypatch.setattr(
        workers, "celery_queue_depths", lambda timeout: {"carriers": 0, "emails": 12, "campaigns": 0, "default": 0}
    )
    # given a beat that ticked and workers that took every queue's heartbeat but the emails one long ago
    scheduler = RecordingScheduler.__new__(RecordingScheduler)
    monkeypatch.setattr("celery.beat.PersistentScheduler.tick", lambda self, *a, **k: 1.0)
    scheduler.tick()
    for queue in ("carriers", "campaigns", "default"):
        heartbeat.apply(kwargs={"queue": queue})
    heartbeat_record(name=queue_heartbeat_name("emails"), now=timezone.now() - timedelta(minutes=30))

    findings = {finding.name: finding for check in workers.CHECKS for finding in check()}

    assert Heartbeat.objects.filter(name=BEAT).exists()
    assert findings["beat"].level == Level.OK
    assert [findings[f"queue {q}"].level for q in ("carriers", "campaigns", "default")] == [Level.OK] * 3
    emails = findings["queue emails"]
    assert emails.level == Level.ERROR
    assert "12 task(s) waiting" in emails.detail
    assert "-Q emails" in emails.fix


def test_no_beat_tick_ever_is_an_error(db, monkeypatch):
    monkeypatch.setattr(
        workers, "celery_queue_depths", lambda timeout: dict.fromkeys(("carriers", "emails", "campaigns", "default"), 0)
    )
    (beat,) = workers.check_beat()
    assert (beat.level, beat.detail) == (Level.ERROR, "no beat tick was ever recorded")


def _esp(answers):
    calls = []

    def answer(request):
        calls.append(request)
        return httpx.Response(answers[request.url.host])

    return httpx.Client(transport=httpx.MockTransport(answer)), calls


def test_esp_credentials_are_tried_by_a_read_only_call(shop, other_shop, settings):
    # given the platform on Postmark and a shop on Brevo whose key was revoked
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "platform-token", "REQUESTS_TIMEOUT": (5, 20)}
    NotificationSettingsFactory(shop=shop, esp_provider="brevo", esp_secret_options={"api_key": "revoked"})
    client, calls = _esp({"api.postmarkapp.com": 200, "api.brevo.com": 401})

    findings = list(providers.check_esp_credentials(client=client))

    assert [(f.name, f.level) for f in findings] == [
        ("platform ESP", Level.OK),
        (f"ESP of shop {shop.slug}", Level.ERROR),
    ]
    assert findings[1].detail == "Brevo refused the credentials (HTTP 401)"
    assert [(c.method, str(c.url)) for c in calls] == [
        ("GET", "https://api.postmarkapp.com/server"),
        ("GET", "https://api.brevo.com/v3/account"),
    ]
    assert calls[0].headers["X-Postmark-Server-Token"] == "platform-token"


def test_custom_domains_must_resolve_to_this_deployment_and_be_allowed(shop, other_shop, settings):
    from shops.models import Shop

    settings.PUBLIC_BASE_URL = "https://track.example.com"
    settings.ALLOWED_HOSTS = ["track.example.com", "track.ziarno.pl", ".elsewhere.pl", "gone.example.org"]
    Shop.objects.filter(pk=shop.pk).update(custom_domain="track.ziarno.pl")
    Shop.objects.filter(pk=other_shop.pk).update(custom_domain="track.elsewhere.pl")
    third = type(shop).objects.create(name="Third", slug="third-shop", custom_domain="gone.example.org")
    fourth = type(shop).objects.create(name="Fourth", slug="fourth-shop", custom_domain="not-allowed.example.net")
    table = {
        "track.example.com": {"203.0.113.5"},
        "track.ziarno.pl": {"203.0.113.5"},
        "track.elsewhere.pl": {"198.51.100.9"},
    }

    def resolver(host):
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]

    findings = {f.name: f for f in providers.check_custom_domains(resolver=resolver)}

    assert findings[f"domain track.ziarno.pl (shop {shop.slug})"].level == Level.OK
    assert findings[f"domain track.elsewhere.pl (shop {other_shop.slug})"].level == Level.WARNING
    gone = findings[f"domain gone.example.org (shop {third.slug})"]
    assert (gone.level, gone.detail) == (Level.ERROR, "does not resolve (Name or service not known)")
    refused = findings[f"domain not-allowed.example.net (shop {fourth.slug})"]
    assert (refused.level, refused.fix) == (Level.ERROR, "Add it to ALLOWED_HOSTS")


def test_a_check_that_crashes_is_reported_not_hidden(db, monkeypatch):
    def broken():
        raise RuntimeError("boom")
        yield

    from ops.doctor import doctor_run

    (finding,) = list(doctor_run([broken]))
    assert finding.level == Level.ERROR
    assert "boom" in finding.detail


def test_the_demo_carrier_refuses_a_revoked_key_and_the_doctor_names_it(shop, settings):
    # given the demo's loopback carrier, and a shop that typed a revoked DHL key into its carrier account
    from carriers.simulator.core import make_wsgi_app
    from shipments.dispatch import shipments_poll_batch

    settings.CARRIER_ENV = {"CARRIER_DHL_BASE_URL": "http://simulator/dhl", "CARRIER_DHL_RATE": "none"}
    account = CarrierAccountFactory(shop=shop, carrier="dhl", api_key="revoked-by-dhl")
    parcel = ShipmentFactory(order=OrderFactory(shop=shop), carrier="dhl", tracking_number="00340434161234567890")

    # when it is polled through the simulator
    with httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=720))) as client:
        shipments_poll_batch(carrier="dhl", shipment_ids=[parcel.pk], account_id=account.pk, client=client)

    # then the doctor reports the rejected credential by carrier and shop
    code, out = doctor("providers")
    assert code == 1
    assert f"error   dhl for shop {shop.slug}: credentials rejected (the shop's own credentials)" in out


def test_beat_sends_each_queue_its_own_heartbeat():
    from config.celery import QUEUES, app, beat_schedule

    schedule = beat_schedule()
    for queue in QUEUES:
        entry = schedule[f"ops-heartbeat-{queue}"]
        assert (entry["task"], entry["kwargs"], entry["options"]["queue"]) == ("ops.heartbeat", {"queue": queue}, queue)
        assert app.amqp.router.route(entry["options"], "ops.heartbeat")["queue"].name == queue
