"""Reconciling messages of unknown outcome: provider lookups faked at the HTTP seam with real-shaped payloads."""

import contextlib
import json
from datetime import timedelta

import httpx
import pytest
from django.test import override_settings

from notifications import reconcile
from notifications.esp_lookups import message_lookup_for
from notifications.lookup import LookupOutcome, LookupResult
from notifications.models import Message, MessageEvent, MessageStatus, OutboxEmail, Reconciliation
from notifications.selectors import messages_to_reconcile
from shops.models import AuditEvent
from tests.notifications.conftest import NOW
from tests.notifications.factories import MessageFactory, NotificationSettingsFactory

pytestmark = pytest.mark.django_db

POSTMARK = override_settings(
    EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
    ANYMAIL={"POSTMARK_SERVER_TOKEN": "server-token", "POSTMARK_API_URL": "https://api.postmarkapp.com/"},
)
MAILGUN = override_settings(
    EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
    ANYMAIL={"MAILGUN_API_KEY": "key-1", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
)
SENDGRID = override_settings(
    EMAIL_BACKEND="anymail.backends.sendgrid.EmailBackend", ANYMAIL={"SENDGRID_API_KEY": "SG.k"}
)
HANDED = NOW - timedelta(minutes=20)


class Provider:
    """An httpx client whose transport answers every request with ``answer(request)`` and keeps the requests."""

    def __init__(self, answer):
        self.requests = []

        def handler(request):
            self.requests.append(request)
            return answer(request)

        self.client = httpx.Client(transport=httpx.MockTransport(handler))


def unknown_message(shop, **fields):
    defaults = {
        "status": MessageStatus.UNKNOWN,
        "reason": "Outcome unknown: the worker was lost during the ESP call",
        "handed_to_esp_at": HANDED,
        "unknown_since": HANDED + timedelta(minutes=6),
        "to_email": "anna@example.com",
    }
    return MessageFactory(status_change__shipment__order__shop=shop, **{**defaults, **fields})


def postmark_search(message, *, shop_id=None, message_id="b7bc2f4a-e38e-4336-af7d-e6c392c2f817"):
    """Postmark's outbound search answer holding one email with our metadata."""
    return {
        "TotalCount": 1,
        "Messages": [
            {
                "Tag": "status-out_for_delivery",
                "MessageID": message_id,
                "MessageStream": "outbound",
                "To": [{"Email": message.to_email, "Name": None}],
                "Cc": [],
                "Bcc": [],
                "Recipients": [message.to_email],
                "ReceivedAt": "2026-11-04T04:40:01.2345678-05:00",
                "From": '"Shop" <hello@shop.example>',
                "Subject": "Out for delivery",
                "Attachments": [],
                "Status": "Sent",
                "TrackOpens": True,
                "TrackLinks": "HtmlAndText",
                "Metadata": {"message_id": str(message.pk), "shop_id": str(shop_id or message.shop_id)},
                "Sandboxed": False,
            }
        ],
    }


def test_postmark_search_finds_the_message_and_it_becomes_sent_with_the_esp_id(clock, shop):
    # given
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(200, json=postmark_search(message)))
    # when
    with POSTMARK:
        counts = reconcile.messages_reconcile(client=provider.client)
    # then
    assert counts == {"found": 1}
    (request,) = provider.requests
    assert request.url.path == "/messages/outbound"
    assert dict(request.url.params) == {
        "count": "50",
        "offset": "0",
        "recipient": "anna@example.com",
        "metadata_message_id": str(message.pk),
    }
    assert request.headers["X-Postmark-Server-Token"] == "server-token"
    message.refresh_from_db()
    assert (message.status, message.esp_name, message.esp_message_id) == (
        MessageStatus.SENT,
        "Postmark",
        "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
    )
    assert (message.sent_at, message.reason) == (HANDED, "")
    assert (message.reconciliation, message.reconciled_at, message.reconciled_by) == (
        "found",
        NOW,
        "reconciliation sweeper",
    )
    assert message.reconciliation_log == (
        "2026-11-04 10:00:00 UTC, reconciliation sweeper: Found at the provider: sent "
        "(Postmark: message b7bc2f4a-e38e-4336-af7d-e6c392c2f817 found)\n"
    )


def test_confirmed_absent_is_queued_again_once(clock, shop):
    # given: Postmark has nothing with our id
    message = unknown_message(shop, released_at=NOW - timedelta(minutes=30))
    provider = Provider(lambda request: httpx.Response(200, json={"TotalCount": 0, "Messages": []}))
    # when: two sweeps
    with POSTMARK:
        first = reconcile.messages_reconcile(client=provider.client)
        second = reconcile.messages_reconcile(client=provider.client)
    # then: resent once, released by the next tick at once
    assert (first, second) == ({"absent_resent": 1}, {})
    message.refresh_from_db()
    assert (message.status, message.send_after, message.released_at, message.handed_to_esp_at) == (
        MessageStatus.QUEUED,
        NOW,
        None,
        None,
    )
    assert message.reason == "Sent again after reconciliation: Postmark: no outbound message carries our id"
    assert message.reconciliation == Reconciliation.ABSENT_RESENT
    assert message.resent_blind_at is None


def test_a_search_hit_of_another_shop_is_not_ours(clock, shop, other_shop):
    # given: the same message id under another shop's metadata (a shared ESP server)
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(200, json=postmark_search(message, shop_id=other_shop.pk)))
    # when
    with POSTMARK:
        decision = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert decision == "absent_resent"


def test_nothing_is_asked_before_the_provider_search_can_show_the_message(clock, shop):
    # given: unknown for five minutes only (the default waits ten)
    unknown_message(shop, unknown_since=NOW - timedelta(minutes=5))
    provider = Provider(lambda request: httpx.Response(500))
    # when
    with POSTMARK:
        counts = reconcile.messages_reconcile(client=provider.client)
    # then
    assert counts == {}
    assert provider.requests == []


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(503, json={"ErrorCode": 0, "Message": "down"}),
        lambda request: httpx.Response(429),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
        lambda request: httpx.Response(200, text="<html>not json</html>"),
    ],
    ids=["503", "429", "timeout", "garbage"],
)
def test_no_usable_answer_waits_for_the_quiet_period_then_resends_once(clock, shop, answer):
    # given
    message = unknown_message(shop)
    provider = Provider(answer)
    with POSTMARK:
        # when: within the quiet period
        early = reconcile.message_reconcile(message=message, client=provider.client)
        # and: after it, with no provider event
        clock.shift(timedelta(hours=2))
        late = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert (early, late) == ("waiting", "quiet_resent")
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.resent_blind_at == NOW + timedelta(hours=2)


def test_a_blind_resend_happens_once_then_a_person_decides(clock, shop):
    # given: resent once without a lookup, and that send's outcome is unknown again
    message = unknown_message(shop, resent_blind_at=NOW - timedelta(hours=3), unknown_since=NOW - timedelta(hours=2))
    # when
    with override_settings(EMAIL_BACKEND="anymail.backends.amazon_ses.EmailBackend"):
        decision = reconcile.message_reconcile(message=message)
    # then: left unknown for a person, and no longer swept
    assert decision == "left_for_a_person"
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert "already resent once without a lookup" in message.reconciliation_log
    assert list(messages_to_reconcile(unknown_before=NOW, limit=10)) == []


def test_ses_has_no_lookup_and_settles_by_its_event_stream(clock, shop):
    # given
    message = unknown_message(shop)
    # when
    with override_settings(EMAIL_BACKEND="anymail.backends.amazon_ses.EmailBackend"):
        result = message_lookup_for(message=message).lookup(message)
    # then
    assert result.outcome == LookupOutcome.IMPOSSIBLE
    assert "event stream" in result.detail


def test_a_provider_event_in_the_quiet_period_stops_a_blind_resend(clock, shop):
    # given: the ESP reported a rejection (not proof it took the email, but proof it saw it)
    message = unknown_message(shop, unknown_since=NOW - timedelta(hours=3))
    MessageEvent.objects.create(
        message=message, esp_name="Amazon SES", event_id="e1", event_type="rejected", occurred_at=NOW
    )
    # when
    with override_settings(EMAIL_BACKEND="anymail.backends.amazon_ses.EmailBackend"):
        decision = reconcile.message_reconcile(message=message)
    # then
    assert decision == "left_for_a_person"
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN


def test_a_refused_search_counts_as_no_lookup(clock, shop):
    # given: the token lacks the rights to search
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(401, json={"ErrorCode": 10, "Message": "Bad token"}))
    # when
    with POSTMARK:
        result = message_lookup_for(message=message, client=provider.client).lookup(message)
    # then
    assert result == LookupResult(
        outcome=LookupOutcome.IMPOSSIBLE, provider="Postmark", detail="Postmark: the search refused us (HTTP 401)"
    )


def test_an_absent_message_too_old_to_matter_is_left_for_a_person(clock, shop):
    # given: a message created three days ago
    message = unknown_message(shop)
    Message.objects.filter(pk=message.pk).update(created_at=NOW - timedelta(days=3))
    message.refresh_from_db()
    provider = Provider(lambda request: httpx.Response(200, json={"TotalCount": 0, "Messages": []}))
    # when
    with POSTMARK:
        decision = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert decision == "left_for_a_person"
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert "too old to resend on our own" in message.reconciliation_log


def mailgun_events(message, *, ours=True):
    """Mailgun's events API answer: one accepted event for the recipient."""
    return {
        "items": [
            {
                "event": "accepted",
                "id": "ncV2XwymRUKbPek_MIM-Gw",
                "timestamp": HANDED.timestamp(),
                "method": "HTTP",
                "recipient": message.to_email,
                "message": {"headers": {"message-id": "20261104094001.1.ABC@mg.example.com", "to": message.to_email}},
                "user-variables": {"message_id": str(message.pk if ours else 999999), "shop_id": str(message.shop_id)},
                "tags": ["status-out_for_delivery"],
            }
        ],
        "paging": {"next": "https://api.mailgun.net/v3/mg.example.com/events/W3siYiI6ICIyMDE2"},
    }


def test_mailgun_events_find_the_message_by_our_user_variables(clock, shop):
    # given
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(200, json=mailgun_events(message)))
    # when
    with MAILGUN:
        decision = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert decision == "found"
    (request,) = provider.requests
    assert request.url.path == "/v3/mg.example.com/events"
    assert request.url.params["recipient"] == "anna@example.com"
    assert request.url.params["event"] == "accepted"
    assert request.url.params["begin"] == str(int((HANDED - timedelta(minutes=5)).timestamp()))
    assert request.headers["Authorization"] == httpx.BasicAuth("api", "key-1")._auth_header
    message.refresh_from_db()
    assert message.esp_message_id == "<20261104094001.1.ABC@mg.example.com>"


def test_mailgun_absence_is_trusted_only_once_its_events_settled(clock, shop):
    # given: handed over 20 minutes ago, and Mailgun shows only another message
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(200, json=mailgun_events(message, ours=False)))
    with MAILGUN:
        # when
        early = reconcile.message_reconcile(message=message, client=provider.client)
        clock.shift(timedelta(minutes=15))
        late = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert (early, late) == ("waiting", "absent_resent")


def test_sendgrid_activity_finds_the_message_by_our_custom_args(clock, shop):
    # given
    message = unknown_message(shop)
    activity = {
        "messages": [
            {
                "from_email": "hello@shop.example",
                "msg_id": "5QrQuXJ5T2e0VYnhL8aBzQ.filterdrecv-1.0",
                "subject": "Out for delivery",
                "to_email": message.to_email,
                "status": "delivered",
                "opens_count": 0,
                "clicks_count": 0,
                "last_event_time": "2026-11-04T09:41:02Z",
            }
        ]
    }
    provider = Provider(lambda request: httpx.Response(200, json=activity))
    # when
    with SENDGRID:
        decision = reconcile.message_reconcile(message=message, client=provider.client)
    # then
    assert decision == "found"
    (request,) = provider.requests
    assert request.url.path == "/v3/messages"
    assert request.url.params["query"] == f'to_email="anna@example.com" AND unique_args[\'message_id\']="{message.pk}"'
    assert request.headers["Authorization"] == "Bearer SG.k"
    message.refresh_from_db()
    # SendGrid's activity id is not the id anymail's webhooks report: the next event fills it in
    assert (message.status, message.esp_name, message.esp_message_id) == (MessageStatus.SENT, "SendGrid", "")
    assert "5QrQuXJ5T2e0VYnhL8aBzQ.filterdrecv-1.0" in message.reconciliation_log


def test_a_shops_own_postmark_is_asked_with_the_shops_token_at_postmarks_official_url(clock, shop):
    # given
    NotificationSettingsFactory(shop=shop, esp_provider="postmark", esp_secret_options={"server_token": "shop-token"})
    message = unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(200, json={"TotalCount": 0, "Messages": []}))
    # when
    with POSTMARK:
        reconcile.message_reconcile(message=message, client=provider.client)
    # then
    (request,) = provider.requests
    assert str(request.url).startswith("https://api.postmarkapp.com/messages/outbound?")
    assert request.headers["X-Postmark-Server-Token"] == "shop-token"


def test_the_outbox_backend_looks_up_its_stored_email(clock, shop):
    # given
    message = unknown_message(shop)
    other = unknown_message(shop)
    OutboxEmail.objects.create(shop=shop, esp_message_id="stored-1", idempotency_key=str(message.pk), subject="s")
    # when
    with override_settings(EMAIL_BACKEND="notifications.backends.OutboxEmailBackend"):
        counts = reconcile.messages_reconcile()
    # then
    assert counts == {"found": 1, "absent_resent": 1}
    message.refresh_from_db()
    other.refresh_from_db()
    assert (message.status, message.esp_message_id, other.status) == ("sent", "stored-1", "queued")


def test_an_sms_the_outbox_stored_is_found_by_its_reference(clock, shop):
    # given: the SMS outbox (the default gateway) holds the message's SMS under our reference
    from notifications.sms.backends import sms_reference
    from notifications.sms.models import OutboxSms

    message = unknown_message(shop, channel="sms", to_email="", to_phone="+48600100200")
    OutboxSms.objects.create(
        shop=shop,
        provider_message_id="outbox-1",
        idempotency_key=sms_reference(shop_id=shop.pk, message_id=message.pk),
        to="+48600100200",
        sender="Shop",
        body="Your parcel is out for delivery",
        encoding="GSM-7",
        segments=1,
    )
    # when
    decision = reconcile.message_reconcile(message=message)
    # then
    assert decision == "found"
    message.refresh_from_db()
    assert (message.status, message.esp_message_id) == (MessageStatus.SENT, "outbox-1")


def test_an_sms_the_outbox_never_got_is_resent_once(clock, shop):
    # given
    message = unknown_message(shop, channel="sms", to_email="", to_phone="+48600100200")
    # when
    decision = reconcile.message_reconcile(message=message)
    # then
    assert decision == "absent_resent"
    assert Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED


def test_an_sms_gateway_without_a_lookup_resends_once_after_the_quiet_period(clock, shop):
    # given: Twilio offers no lookup by our id; its status callbacks would have settled it
    message = unknown_message(
        shop, channel="sms", to_email="", to_phone="+48600100200", unknown_since=NOW - timedelta(hours=3)
    )
    # when
    with override_settings(SMS_BACKEND="twilio", SMS_TWILIO_ACCOUNT_SID="AC123", SMS_TWILIO_AUTH_TOKEN="token"):
        decision = reconcile.message_reconcile(message=message)
    # then
    assert decision == "quiet_resent"
    assert "offers no message lookup" in Message.objects.get(pk=message.pk).reconciliation_log


def test_a_decision_on_a_message_settled_meanwhile_changes_nothing(clock, shop):
    # given: the sweeper read the message, then a provider event settled it
    message = unknown_message(shop)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT)
    provider = Provider(lambda request: httpx.Response(200, json={"TotalCount": 0, "Messages": []}))
    # when
    with POSTMARK:
        reconcile.message_reconcile(message=message, client=provider.client)
    # then: not queued again
    message.refresh_from_db()
    assert (message.status, message.reconciliation) == (MessageStatus.SENT, "")


def test_a_person_marks_an_unknown_message_sent_audited(clock, shop, support):
    # given
    message = unknown_message(shop)
    # when
    done = reconcile.message_mark_sent(message=message, actor=support)
    again = reconcile.message_mark_sent(message=message, actor=support)
    # then
    assert (done, again) == (True, False)
    message.refresh_from_db()
    assert (message.status, message.sent_at, message.reconciled_by) == (MessageStatus.SENT, HANDED, support.username)
    assert message.reconciliation == Reconciliation.MARKED_SENT
    event = AuditEvent.objects.get()
    assert (event.shop, event.action, event.actor) == (shop, "message_marked_sent", support)
    assert event.target.startswith(f"message {message.pk}: ")


def test_a_person_resends_an_unknown_message_audited_but_never_a_sent_one(clock, shop, owner):
    # given
    unknown = unknown_message(shop)
    sent = unknown_message(shop, status=MessageStatus.SENT)
    # when
    results = [reconcile.message_resend(message=message, actor=owner) for message in (unknown, sent)]
    # then
    assert results == [True, False]
    unknown.refresh_from_db()
    assert (unknown.status, unknown.reconciliation) == (MessageStatus.QUEUED, Reconciliation.RESENT_MANUALLY)
    assert Message.objects.get(pk=sent.pk).status == MessageStatus.SENT
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["message_resent"]


def test_fake_esp_answers_postmarks_outbound_search():
    from notifications.fake_esp import FakeEsp, Reply

    # given: one accepted email, one lost on the way
    with FakeEsp([Reply(200), Reply(200, lost=True)]) as fake:
        for number in (1, 2):
            body = {"To": "anna@example.com", "Metadata": {"message_id": str(number), "shop_id": "7"}}
            with contextlib.suppress(httpx.HTTPError):  # the lost one never answers
                httpx.post(f"{fake.url}email", json=body, timeout=2)
        # when
        found = httpx.get(
            f"{fake.url}messages/outbound",
            params={"recipient": "anna@example.com", "metadata_message_id": "1", "count": 50, "offset": 0},
        )
        missing = httpx.get(
            f"{fake.url}messages/outbound", params={"metadata_message_id": "2", "count": 50, "offset": 0}
        )
    # then
    assert len(fake.requests) == 2
    assert [item["Metadata"] for item in found.json()["Messages"]] == [{"message_id": "1", "shop_id": "7"}]
    assert found.json()["Messages"][0]["MessageID"] == fake.accepted[0]["MessageID"]
    assert missing.json() == {"TotalCount": 0, "Messages": []}
    assert json.loads(found.content)["TotalCount"] == 1


def test_a_spent_time_budget_postpones_the_rest_of_the_sweep_to_the_next_tick(clock, shop):
    # given: two unknown messages, and a sweep whose time budget is already spent (a slow provider before them)
    unknown_message(shop)
    unknown_message(shop)
    provider = Provider(lambda request: httpx.Response(503))
    # when
    with POSTMARK:
        counts = reconcile.messages_reconcile(client=provider.client, budget_seconds=-1)
    # then: nothing asked; both wait for the next tick, still unknown
    assert counts == {"postponed": 2}
    assert provider.requests == []
    assert Message.objects.filter(status=MessageStatus.UNKNOWN, reconciliation="").count() == 2


def test_mailgun_with_a_full_page_of_other_events_cannot_confirm_absence(clock, shop):
    # given: 300 accepted events for the recipient, none ours
    message = unknown_message(shop, unknown_since=NOW - timedelta(hours=1), handed_to_esp_at=NOW - timedelta(hours=1))
    page = mailgun_events(message, ours=False)
    page["items"] = page["items"] * 300
    provider = Provider(lambda request: httpx.Response(200, json=page))
    # when
    with MAILGUN:
        result = message_lookup_for(message=message, client=provider.client).lookup(message)
    # then
    assert result.outcome == LookupOutcome.UNAVAILABLE


def test_a_shop_esp_saved_with_invalid_options_has_no_lookup(clock, shop):
    # given: options saved around the form's rules
    conf = NotificationSettingsFactory(shop=shop, esp_provider="postmark")
    NotificationSettingsFactory._meta.model.objects.filter(pk=conf.pk).update(esp_secret_options={})
    message = unknown_message(shop)
    # when
    result = message_lookup_for(message=message).lookup(message)
    # then
    assert result.outcome == LookupOutcome.IMPOSSIBLE
    assert "Postmark needs server_token" in result.detail


def test_the_beat_runs_the_sweeper_every_minute_off_the_email_queue():
    from config.celery import beat_schedule

    entry = beat_schedule()["notifications-reconcile-unknown-messages"]
    assert entry["task"] == "notifications.reconcile_unknown_messages"
    assert (entry["schedule"], entry["options"]["queue"]) == (60, "default")
